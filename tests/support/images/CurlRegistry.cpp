#include "tests/support/images/CurlRegistry.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "tests/support/images/ToolRunner.hpp"

namespace autonomy::testing {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(std::string_view text) {
  const auto b = text.find_first_not_of(" \t\r\n");
  const auto e = text.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(text.substr(b, e - b + 1));
}

// curl -D - writes every header block (1xx interim ones too) before the body.
Result<HttpReply> parseReply(const std::string& out) {
  HttpReply reply;
  std::size_t pos = 0;
  while (true) {
    const auto end = out.find("\r\n\r\n", pos);
    if (end == std::string::npos) return makeError(ErrorCode::kRegistry, "curl: no HTTP header block in output");
    const std::string_view block(out.data() + pos, end - pos);
    const auto lineEnd = block.find("\r\n");
    const std::string_view statusLine = block.substr(0, lineEnd);
    const auto space = statusLine.find(' ');
    if (space == std::string_view::npos) return makeError(ErrorCode::kRegistry, "curl: bad status line");
    reply.status = std::atoi(std::string(statusLine.substr(space + 1, 3)).c_str());
    reply.headers.clear();
    std::size_t lineStart = lineEnd == std::string_view::npos ? block.size() : lineEnd + 2;
    while (lineStart < block.size()) {
      auto next = block.find("\r\n", lineStart);
      if (next == std::string_view::npos) next = block.size();
      const auto line = block.substr(lineStart, next - lineStart);
      if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        reply.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
      }
      lineStart = next + 2;
    }
    pos = end + 4;
    if (reply.status < 100 || reply.status >= 200) break;
  }
  reply.body = out.substr(pos);
  return reply;
}

// `Bearer realm="...",service="...",scope="..."` => {realm: ..., service: ..., scope: ...}
std::map<std::string, std::string> parseChallenge(std::string_view header) {
  std::map<std::string, std::string> params;
  const auto space = header.find(' ');
  std::size_t pos = space == std::string_view::npos ? header.size() : space + 1;
  while (pos < header.size()) {
    const auto eq = header.find('=', pos);
    if (eq == std::string_view::npos) break;
    const std::string key = lower(trim(header.substr(pos, eq - pos)));
    std::size_t valueStart = eq + 1;
    std::size_t valueEnd = 0;
    if (valueStart < header.size() && header[valueStart] == '"') {
      ++valueStart;
      valueEnd = header.find('"', valueStart);
      if (valueEnd == std::string_view::npos) valueEnd = header.size();
      pos = header.find(',', valueEnd);
    } else {
      valueEnd = std::min(header.find(',', valueStart), header.size());
      pos = valueEnd;
    }
    params[key] = std::string(header.substr(valueStart, valueEnd - valueStart));
    pos = pos == std::string_view::npos ? header.size() : pos + 1;
  }
  return params;
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "autonomy-curl-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  Result<fs::path> write(std::string_view bytes) {
    if (path_.empty()) return makeError(ErrorCode::kIo, "curl push: cannot create a temp directory");
    const fs::path file = path_ / std::to_string(++counter_);
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return makeError(ErrorCode::kIo, "curl push: write " + file.string() + " failed");
    return file;
  }

 private:
  fs::path path_;
  int counter_ = 0;
};

// One registry + repository conversation: scheme, credentials and a Bearer token once fetched.
class Session {
 public:
  Session(std::string_view host, std::string_view repo, const CurlOptions& options)
      : host_(host), repo_(repo), options_(options) {}

  Status connect() {
    if (options_.tlsVerify || !options_.certDir.empty()) {
      base_ = "https://" + host_;
      return {};
    }
    auto probe = imagesdetail::runTool(
        {options_.curlPath, "-sS", "-k", "--connect-timeout", "10", "-o", "/dev/null", "https://" + host_ + "/v2/"},
        options_.timeout);
    if (!probe) return probe.error();
    base_ = (probe->exitCode == 0 ? "https://" : "http://") + host_;
    return {};
  }

  std::string repoUrl(std::string_view rest) const { return base_ + "/v2/" + repo_ + "/" + std::string(rest); }

  Result<HttpReply> request(std::string_view method, const std::string& url, const std::vector<std::string>& extra) {
    auto reply = once(method, url, extra);
    if (!reply || reply->status != 401 || !bearer_.empty()) return reply;
    const std::string challenge = reply->header("www-authenticate");
    if (lower(challenge).rfind("bearer", 0) != 0) return reply;
    if (auto s = fetchToken(challenge); !s) return s.error();
    return once(method, url, extra);
  }

  Status pushBlobFile(const oci::Digest& digest, const fs::path& file) {
    const std::string what = "push blob " + digest.str() + " to " + host_ + "/" + repo_;
    auto head = request("HEAD", repoUrl("blobs/" + digest.str()), {});
    if (!head) return head.error().context(what);
    if (head->status == 200) return {};
    auto start = request("POST", repoUrl("blobs/uploads/"), {"--data-binary", ""});
    if (!start) return start.error().context(what);
    std::string location = start->header("location");
    if (start->status != 202 || location.empty()) return unexpected(what + ": start upload", *start);
    if (location.rfind("http", 0) != 0) location = base_ + location;
    location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest.str();
    auto put =
        request("PUT", location, {"--upload-file", file.string(), "-H", "Content-Type: application/octet-stream"});
    if (!put) return put.error().context(what);
    if (put->status != 201) return unexpected(what + ": finish upload", *put);
    return {};
  }

  Status putManifest(std::string_view reference, std::string_view bytes, std::string_view mediaType,
                     ScratchDir& scratch) {
    const std::string what = "push manifest " + host_ + "/" + repo_ + ":" + std::string(reference);
    auto file = scratch.write(bytes);
    if (!file) return file.error().context(what);
    auto put = request("PUT", repoUrl("manifests/" + std::string(reference)),
                       {"--upload-file", file->string(), "-H", "Content-Type: " + std::string(mediaType)});
    if (!put) return put.error().context(what);
    if (put->status != 201) return unexpected(what, *put);
    const std::string expected = oci::Digest::ofBytes(bytes).str();
    const std::string got = put->header("docker-content-digest");
    if (got != expected) {
      return makeError(ErrorCode::kIntegrity, what + ": registry stored " + got + ", expected " + expected);
    }
    return {};
  }

 private:
  std::vector<std::string> baseArgs() const {
    std::vector<std::string> args{options_.curlPath, "-sS", "--connect-timeout", "10", "-H", "Expect:"};
    if (!options_.tlsVerify) args.emplace_back("-k");
    if (!options_.certDir.empty()) {
      std::error_code ec;
      std::vector<fs::path> cas;
      for (const auto& entry : fs::directory_iterator(options_.certDir, ec)) {
        if (entry.path().extension() == ".crt") cas.push_back(entry.path());
      }
      std::sort(cas.begin(), cas.end());
      if (!cas.empty()) args.insert(args.end(), {"--cacert", cas.front().string()});
      if (fs::exists(options_.certDir / "client.cert", ec) && fs::exists(options_.certDir / "client.key", ec)) {
        args.insert(args.end(), {"--cert", (options_.certDir / "client.cert").string(), "--key",
                                 (options_.certDir / "client.key").string()});
      }
    }
    return args;
  }

  Result<HttpReply> once(std::string_view method, const std::string& url, const std::vector<std::string>& extra) {
    auto argv = baseArgs();
    if (method == "HEAD") {
      argv.emplace_back("-I");  // headers only; curl waits for a body after -X HEAD
    } else {
      argv.insert(argv.end(), {"-X", std::string(method), "-D", "-"});
    }
    if (!bearer_.empty()) {
      argv.insert(argv.end(), {"-H", "Authorization: Bearer " + bearer_});
    } else if (!options_.creds.empty()) {
      argv.insert(argv.end(), {"-u", options_.creds});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    const std::string what = std::string(method) + " " + url;
    auto run = imagesdetail::runTool(argv, options_.timeout);
    if (!run) return run.error().context(what);
    if (run->exitCode != 0) {
      return makeError(ErrorCode::kNetwork,
                       what + ": curl exit " + std::to_string(run->exitCode) + ": " + trim(run->err), true);
    }
    auto reply = parseReply(run->out);
    if (!reply) return reply.error().context(what);
    return reply;
  }

  Status fetchToken(const std::string& challenge) {
    auto params = parseChallenge(challenge);
    const std::string realm = params["realm"];
    if (realm.empty()) return makeError(ErrorCode::kAuth, "token for " + host_ + ": no realm in " + challenge);
    const std::string scope = params.count("scope") ? params["scope"] : "repository:" + repo_ + ":pull,push";
    auto argv = baseArgs();
    argv.insert(argv.end(), {"-D", "-", "-G", "--data-urlencode", "scope=" + scope});
    if (params.count("service")) argv.insert(argv.end(), {"--data-urlencode", "service=" + params["service"]});
    if (!options_.creds.empty()) argv.insert(argv.end(), {"-u", options_.creds});
    argv.push_back(realm);
    auto run = imagesdetail::runTool(argv, options_.timeout);
    if (!run) return run.error().context("token from " + realm);
    auto reply =
        run->exitCode == 0 ? parseReply(run->out) : Result<HttpReply>(makeError(ErrorCode::kNetwork, run->err));
    if (!reply) return reply.error().context("token from " + realm);
    const auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (reply->status != 200 || json.is_discarded() || !json.is_object()) {
      return unexpected("token from " + realm, *reply);
    }
    bearer_ = json.value("token", json.value("access_token", ""));
    if (bearer_.empty()) return makeError(ErrorCode::kAuth, "token from " + realm + ": answer has no token");
    return {};
  }

  static Error unexpected(const std::string& what, const HttpReply& reply) {
    const ErrorCode code = reply.status == 401 || reply.status == 403 ? ErrorCode::kAuth
                           : reply.status == 404                      ? ErrorCode::kNotFound
                                                                      : ErrorCode::kRegistry;
    return makeError(code, what + ": HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 400));
  }

  std::string host_;
  std::string repo_;
  CurlOptions options_;
  std::string base_;
  std::string bearer_;
};

Status pushTree(Session& session, const OciLayout& layout, const BuiltManifest& manifest, std::string_view reference,
                ScratchDir& scratch) {
  for (const auto& child : manifest.children) {
    if (auto s = pushTree(session, layout, child, child.digest.str(), scratch); !s) return s;
  }
  for (const auto& blob : manifest.blobs) {
    if (auto s = session.pushBlobFile(blob.digest, layout.blobPath(blob.digest)); !s) return s;
  }
  return session.putManifest(reference, manifest.bytes, manifest.mediaType, scratch);
}

}  // namespace

std::string HttpReply::header(std::string_view name) const {
  const auto it = headers.find(lower(std::string(name)));
  return it == headers.end() ? std::string() : it->second;
}

Status pushManifestDirect(std::string_view host, std::string_view repo, std::string_view reference,
                          std::string_view manifestBytes, std::string_view mediaType,
                          const std::vector<std::string>& blobs, const CurlOptions& options) {
  Session session(host, repo, options);
  if (auto s = session.connect(); !s) return s;
  ScratchDir scratch;
  for (const auto& blob : blobs) {
    auto file = scratch.write(blob);
    if (!file) return file.error();
    if (auto s = session.pushBlobFile(oci::Digest::ofBytes(blob), *file); !s) return s;
  }
  return session.putManifest(reference, manifestBytes, mediaType, scratch);
}

Status pushBlobsAndManifestWithCurl(const OciLayout& layout, const BuiltManifest& manifest, std::string_view host,
                                    std::string_view repo, std::string_view reference, const CurlOptions& options) {
  Session session(host, repo, options);
  if (auto s = session.connect(); !s) return s;
  ScratchDir scratch;
  return pushTree(session, layout, manifest, reference, scratch);
}

Result<HttpReply> fetchManifestWithCurl(std::string_view host, std::string_view repo, std::string_view reference,
                                        const CurlOptions& options, std::string_view accept) {
  Session session(host, repo, options);
  if (auto s = session.connect(); !s) return s.error();
  return session.request("GET", session.repoUrl("manifests/" + std::string(reference)),
                         {"-H", "Accept: " + std::string(accept)});
}

Result<std::string> fetchBlobWithCurl(std::string_view host, std::string_view repo, const oci::Digest& digest,
                                      const CurlOptions& options) {
  const std::string what = "fetch blob " + digest.str() + " from " + std::string(host) + "/" + std::string(repo);
  Session session(host, repo, options);
  if (auto s = session.connect(); !s) return s.error();
  auto reply = session.request("GET", session.repoUrl("blobs/" + digest.str()), {});
  if (!reply) return reply.error().context(what);
  if (reply->status != 200) {
    return makeError(reply->status == 404 ? ErrorCode::kNotFound : ErrorCode::kRegistry,
                     what + ": HTTP " + std::to_string(reply->status));
  }
  if (oci::Digest::ofBytes(reply->body) != digest) return makeError(ErrorCode::kIntegrity, what + ": digest mismatch");
  return std::move(reply->body);
}

}  // namespace autonomy::testing
