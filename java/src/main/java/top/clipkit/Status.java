package top.clipkit;

/** clipkit's status codes (clipkit_status in clipkit/clipkit.h, clipkit::ErrorCode in C++). */
public enum Status {
  OK,
  /** An unusable argument: empty text, a text with NUL, a short buffer, a closed handle's data. */
  INVALID_ARGUMENT,
  /** A file, tensor or key that should exist does not. */
  NOT_FOUND,
  /** Bytes that do not parse: a truncated or malformed file. */
  CORRUPT_DATA,
  /** Valid input clipkit does not handle. */
  UNSUPPORTED,
  /** Over a cap (pixel count), or out of memory. */
  RESOURCE_EXHAUSTED,
  /** A bug in clipkit. */
  INTERNAL;

  /** The enum for a C status value; INTERNAL for a value this binding does not know. */
  public static Status fromCode(int code) {
    Status[] all = values();
    return code >= 0 && code < all.length ? all[code] : INTERNAL;
  }
}
