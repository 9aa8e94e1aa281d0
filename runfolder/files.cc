#include "runfolder/files.h"

#include "base/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qsim::runfolder {
namespace {

// True when `path` exists and is something other than a regular file.
bool IsSpecialFile(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode);
}

Status WriteFailed(const std::string& path, int error) {
  return IoError(path + ": write failed: " + std::strerror(error));
}

}  // namespace

StatusOr<std::string> ReadTextFile(const std::string& path) {
  QSIM_RETURN_IF_ERROR(CheckInputFile(path, kMaxWholeFileBytes, "run-folder"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open for reading: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IoError(path + ": read error");
  return buffer.str();
}

StatusOr<std::FILE*> OpenForReplace(const std::string& path, std::string* temp_path) {
  *temp_path = IsSpecialFile(path) ? path : path + std::string(kPartSuffix);
  std::FILE* f = std::fopen(temp_path->c_str(), "wb");
  if (!f) return IoError(path + ": cannot write: " + std::strerror(errno));
  return f;
}

Status CommitReplace(std::FILE* f, const std::string& temp_path, const std::string& path, int error) {
  if (error == 0 && std::fflush(f) != 0) error = errno != 0 ? errno : EIO;
  // fsync before the rename, so that after a crash the new name holds the
  // whole file; devices and FIFOs cannot be synced (EINVAL), and need not be.
  if (error == 0 && temp_path != path && ::fsync(fileno(f)) != 0) error = errno;
  errno = 0;
  if (std::fclose(f) != 0 && error == 0) error = errno != 0 ? errno : EIO;
  if (error != 0) {
    if (temp_path != path) std::remove(temp_path.c_str());
    return WriteFailed(path, error);
  }
  if (temp_path != path && std::rename(temp_path.c_str(), path.c_str()) != 0) {
    int why = errno;
    std::remove(temp_path.c_str());
    return IoError(path + ": cannot rename " + temp_path + " into place: " + std::strerror(why));
  }
  return Status::Ok();
}

void AbandonReplace(std::FILE* f, const std::string& temp_path, const std::string& path) {
  std::fclose(f);
  if (temp_path != path) std::remove(temp_path.c_str());
}

Status WriteTextFile(const std::string& path, std::string_view text) {
  std::string temp_path;
  StatusOr<std::FILE*> f = OpenForReplace(path, &temp_path);
  if (!f.ok()) return f.status();
  errno = 0;
  int error = 0;
  if (std::fwrite(text.data(), 1, text.size(), *f) != text.size()) error = errno != 0 ? errno : EIO;
  return CommitReplace(*f, temp_path, path, error);
}

Status MakeDirectories(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return IoError(dir + ": cannot create the folder: " + error.message());
  return Status::Ok();
}

Status MakeWritableFolder(const std::string& dir) {
  QSIM_RETURN_IF_ERROR(MakeDirectories(dir));
  std::string probe = (dir.empty() || dir.back() == '/' ? dir : dir + "/") + ".qsim-write-probe-XXXXXX";
  int fd = ::mkstemp(probe.data());
  if (fd < 0) return IoError(dir + ": cannot write in the folder: " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

}  // namespace qsim::runfolder
