package top.clipkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared fixtures (system property clipkit.shared, set by ctest): the tiny QuickGELU
 * model, its vocabulary, the reference outputs of OpenAI's code in expected.json, the
 * test images; a scratch folder (clipkit.tmp); and the tolerances, stated once.
 */
final class Fixtures {
  /** Embeddings against the reference: cosine at least this (as tests/capi/capi_test.c). */
  static final double MIN_COSINE = 0.99999;
  /** Probabilities against the reference: absolute difference at most this. */
  static final double PROB_TOLERANCE = 1e-4;

  private static Map<String, Object> expected;

  private Fixtures() {}

  static Path shared() {
    String dir = System.getProperty("clipkit.shared");
    if (dir == null) throw new IllegalStateException("run with -Dclipkit.shared=DIR (ctest sets it)");
    return Path.of(dir);
  }

  static String modelPath() {
    return shared().resolve("fixtures/models/tiny_quickgelu/model.jit.pt").toString();
  }

  static String vocabPath() {
    return shared().resolve("data/clip/bpe_simple_vocab_16e6.txt.gz").toString();
  }

  static String image(String name) {
    return shared().resolve("data/images").resolve(name).toString();
  }

  static Model loadModel() {
    return Model.load(modelPath(), new Options().vocab(vocabPath()).threads(2));
  }

  /** A new empty folder under clipkit.tmp (or the system's temp folder). */
  static Path tempDir(String prefix) throws IOException {
    String base = System.getProperty("clipkit.tmp");
    if (base == null) return Files.createTempDirectory(prefix);
    Files.createDirectories(Path.of(base));
    return Files.createTempDirectory(Path.of(base), prefix);
  }

  /** expected.json: objects as Map, arrays as List, numbers as Double. */
  @SuppressWarnings("unchecked")
  static synchronized Map<String, Object> expected() {
    if (expected == null) {
      try {
        String text = Files.readString(shared().resolve("fixtures/models/tiny_quickgelu/expected.json"),
            StandardCharsets.UTF_8);
        expected = (Map<String, Object>) new MiniJson(text).document();
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    }
    return expected;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(String key) {
    return (List<Object>) expected().get(key);
  }

  /** Row `row` of the numeric matrix `key` as floats. */
  @SuppressWarnings("unchecked")
  static float[] floatRow(String key, int row) {
    List<Object> values = (List<Object>) list(key).get(row);
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; ++i) out[i] = ((Double) values.get(i)).floatValue();
    return out;
  }

  static int[] intRow(String key, int row) {
    float[] f = floatRow(key, row);
    int[] out = new int[f.length];
    for (int i = 0; i < out.length; ++i) out[i] = (int) f[i];
    return out;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; ++i) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  static double norm(float[] a) {
    double s = 0;
    for (float x : a) s += (double) x * x;
    return Math.sqrt(s);
  }

  /** Just enough JSON for expected.json: objects, arrays, strings, numbers, literals. */
  static final class MiniJson {
    private final String s;
    private int at;

    MiniJson(String text) {
      s = text;
    }

    Object document() {
      Object value = value();
      space();
      if (at != s.length()) throw error("trailing characters");
      return value;
    }

    private RuntimeException error(String what) {
      return new IllegalArgumentException("expected.json: " + what + " at offset " + at);
    }

    private void space() {
      while (at < s.length() && Character.isWhitespace(s.charAt(at))) ++at;
    }

    private Object value() {
      space();
      if (at >= s.length()) throw error("unexpected end");
      char c = s.charAt(at);
      if (c == '{') {
        Map<String, Object> map = new LinkedHashMap<>();
        ++at;
        space();
        if (s.charAt(at) == '}') {
          ++at;
          return map;
        }
        while (true) {
          space();
          String key = string();
          space();
          expect(':');
          map.put(key, value());
          space();
          if (s.charAt(at) == ',') {
            ++at;
            continue;
          }
          expect('}');
          return map;
        }
      }
      if (c == '[') {
        List<Object> list = new ArrayList<>();
        ++at;
        space();
        if (s.charAt(at) == ']') {
          ++at;
          return list;
        }
        while (true) {
          list.add(value());
          space();
          if (s.charAt(at) == ',') {
            ++at;
            continue;
          }
          expect(']');
          return list;
        }
      }
      if (c == '"') return string();
      for (String literal : new String[] {"true", "false", "null"}) {
        if (s.startsWith(literal, at)) {
          at += literal.length();
          return literal.equals("null") ? null : Boolean.valueOf(literal);
        }
      }
      int start = at;
      while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) ++at;
      if (start == at) throw error("unexpected '" + c + "'");
      return Double.valueOf(s.substring(start, at));
    }

    private void expect(char c) {
      if (at >= s.length() || s.charAt(at) != c) throw error("expected '" + c + "'");
      ++at;
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        if (at >= s.length()) throw error("unterminated string");
        char c = s.charAt(at++);
        if (c == '"') return out.toString();
        if (c != '\\') {
          out.append(c);
          continue;
        }
        char e = s.charAt(at++);
        switch (e) {
          case 'n' -> out.append('\n');
          case 't' -> out.append('\t');
          case 'r' -> out.append('\r');
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'u' -> {
            out.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
            at += 4;
          }
          default -> out.append(e);
        }
      }
    }
  }
}
