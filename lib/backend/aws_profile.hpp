// lib/backend/aws_profile.hpp: S3 credentials from the shared credentials file the AWS tools
// read (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), profile AWS_PROFILE (else
// "default"). The environment's keys come first (RemoteOptions::from_env), as for the AWS CLI.
// Depends on: base, io, net (SecretString). Threads: plain functions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "net/secret.hpp"

namespace cairn::backend {

struct AwsProfile {
  std::string access_key_id;
  net::SecretString secret_access_key;
  net::SecretString session_token;  // empty when the profile has none
};

// Reads profile `profile` of the INI file `file`: "[name]" sections, "key = value" lines
// (aws_access_key_id, aws_secret_access_key, aws_session_token; keys case-insensitive),
// "#" and ";" comment lines. Errc::not_found when the file does not exist, Errc::auth
// when the profile is not in it (the message lists the ones that are) or lacks a key.
Result<AwsProfile> read_aws_profile(const std::filesystem::path& file, std::string_view profile);

}  // namespace cairn::backend
