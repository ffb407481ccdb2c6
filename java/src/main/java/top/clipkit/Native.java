package top.clipkit;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JNI functions (libclipkit_jni.so, java/src/main/native/clipkit_jni.c) and the string
 * conversions around them. Strings cross as UTF-8 byte arrays, encoded here: JNI's own
 * string functions use "modified UTF-8", which writes supplementary characters (emoji) as
 * two 3-byte surrogates and NUL as two bytes — neither is the UTF-8 clipkit reads.
 *
 * <p>The library is loaded from the absolute path in the system property clipkit.jni when it
 * is set (-Dclipkit.jni=/path/libclipkit_jni.so), else by System.loadLibrary("clipkit_jni")
 * from java.library.path.
 */
final class Native {
  static {
    String path = System.getProperty("clipkit.jni");
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("clipkit_jni");
    }
  }

  private Native() {}

  /** Strict UTF-8, NUL-terminated by the glue: NUL and unpaired surrogates are refused. */
  static byte[] utf8(String text, String what) {
    if (text == null) throw new NullPointerException(what + " is null");
    if (text.indexOf('\0') >= 0) {
      throw new ClipkitException(Status.INVALID_ARGUMENT, what + " contains NUL at index " + text.indexOf('\0'));
    }
    CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer bytes = encoder.encode(CharBuffer.wrap(text));
      byte[] out = new byte[bytes.remaining()];
      bytes.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new ClipkitException(Status.INVALID_ARGUMENT, what + " is not valid Unicode (an unpaired surrogate)");
    }
  }

  static byte[][] utf8(List<String> texts, String what) {
    if (texts == null) throw new NullPointerException(what + " is null");
    byte[][] out = new byte[texts.size()][];
    for (int i = 0; i < out.length; ++i) out[i] = utf8(texts.get(i), what + "[" + i + "]");
    return out;
  }

  static float[][] rows(float[] flat, int count, int dim) {
    float[][] out = new float[count][dim];
    for (int i = 0; i < count; ++i) System.arraycopy(flat, i * dim, out[i], 0, dim);
    return out;
  }

  /** The rows of `matrix`, each `dim` floats, in one row-major array. */
  static float[] flat(float[][] matrix, int dim, String what) {
    if (matrix == null) throw new NullPointerException(what + " is null");
    float[] out = new float[matrix.length * dim];
    for (int i = 0; i < matrix.length; ++i) {
      if (matrix[i] == null || matrix[i].length != dim) {
        throw new ClipkitException(Status.INVALID_ARGUMENT, what + "[" + i + "] has "
            + (matrix[i] == null ? "no" : Integer.toString(matrix[i].length)) + " floats, expected " + dim);
      }
      System.arraycopy(matrix[i], 0, out, i * dim, dim);
    }
    return out;
  }

  // Each throws ClipkitException (status, clipkit_last_error()) when the C call fails.
  // Handles are the C pointers; 0 is never passed (the Java classes check).

  static native byte[] version();

  static native long modelLoad(byte[] path, byte[] vocab, byte[] textModel, int precision, int threads,
      boolean applyExif, long maxPixels, boolean truncate);

  static native void modelFree(long model);

  /** {embed_dim, image_size, context_length, scoring}. */
  static native int[] modelInts(long model);

  /** {logit_scale, logit_bias}. */
  static native float[] modelFloats(long model);

  static native byte[] modelInfoJson(long model);

  static native float[] embedImageFiles(long model, byte[][] paths, boolean normalize, int dim);

  static native float[] embedImageBytes(long model, byte[] bytes, boolean normalize, int dim);

  static native float[] embedImageRgb(long model, byte[] pixels, int width, int height, boolean normalize, int dim);

  static native float[] embedTexts(long model, byte[][] texts, boolean normalize, int dim);

  static native int[] tokenize(long model, byte[][] texts, int contextLength);

  static native float[] labelProbs(long model, float[] images, int imageCount, float[] texts, int textCount);

  static native long indexOpen(byte[] path, boolean create);

  static native void indexFree(long index);

  static native long indexCount(long index);

  /** {embedded, errors}. */
  static native long[] indexAddPaths(long index, long model, byte[][] paths);

  /** Each returns {long[] ids, float[] scores, byte[][] paths, byte[][] display paths}. */
  static native Object[] indexSearchText(long index, long model, byte[] text, long k);

  static native Object[] indexSearchImageFile(long index, long model, byte[] path, long k);

  static native Object[] indexSearchVector(long index, float[] vector, long k);
}
