package top.clipkit;

import java.nio.charset.StandardCharsets;

/**
 * A failed clipkit call: the status code and clipkit's message, which names the file, text
 * or argument and the problem (e.g. "clipkit_model_load: /x/model.pt: no such file").
 * Unchecked, like the IllegalArgumentException family it mirrors.
 */
public class ClipkitException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final Status status;

  public ClipkitException(Status status, String message) {
    super(message);
    this.status = status;
  }

  /** Called by the JNI glue: the C status and clipkit_last_error()'s bytes (UTF-8). */
  ClipkitException(int code, byte[] message) {
    this(Status.fromCode(code), new String(message, StandardCharsets.UTF_8));
  }

  /** What went wrong, as clipkit's C API reported it. */
  public Status status() {
    return status;
  }
}
