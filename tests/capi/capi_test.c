/* capi_test.c — the C API from C (C11): values against the shared fixture model's
 * reference outputs (../shared/fixtures/models/tiny_quickgelu/expected.json, made by
 * OpenAI's code), errors for bad input, and an index built, searched and freed. Runs in
 * the sanitizer build too, where LeakSanitizer fails it for any handle left unfreed.
 * Paths come from CMake: CLIPKIT_SHARED_DIR, CLIPKIT_TEST_TMP (a folder of its own). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clipkit/clipkit.h"

static int failures = 0;

#define CHECK(condition, ...)                                        \
  do {                                                               \
    if (!(condition)) {                                              \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #condition); \
      fprintf(stderr, __VA_ARGS__);                                  \
      fprintf(stderr, "\n");                                         \
      ++failures;                                                    \
    }                                                                \
  } while (0)

/* A call must give `expected`; the message of a failure is printed. */
#define EXPECT_STATUS(call, expected)                                                   \
  do {                                                                                  \
    clipkit_status status_ = (call);                                                    \
    CHECK(status_ == (expected), "%s gave %s, expected %s; last error: %s", #call,     \
          clipkit_status_string(status_), clipkit_status_string(expected), clipkit_last_error()); \
  } while (0)
#define EXPECT_OK(call) EXPECT_STATUS(call, CLIPKIT_OK)

/* The last error must contain `part`. */
#define EXPECT_ERROR_HAS(part) \
  CHECK(strstr(clipkit_last_error(), (part)) != NULL, "last error \"%s\" lacks \"%s\"", clipkit_last_error(), (part))

/* Tolerances, as the C++ parity tests state them: embeddings by cosine, probabilities
 * absolutely. */
static const double kMinCosine = 0.99999;
static const double kProbTolerance = 1e-4;

/* Reference values from expected.json (OpenAI's encode_image / encode_text / softmax of
 * logits_per_image over its ten texts). */
static const float kImageClip[] = {0.233914211f, 0.904416978f, 0.977585196f, -0.486852258f, 1.91793561f, -0.101260908f, 0.936714172f, -0.176648989f, -2.08776951f, 0.357899368f, 0.116480038f, -0.711213827f, 0.132695764f, -0.424753249f, 3.75856829f, 0.775126994f, -0.0713197887f, -0.130163133f, -1.00073957f, -1.13112509f, 0.364323944f, 0.245281607f, -0.5653283f, -0.153407484f, -0.325218886f, -0.168146029f, 1.36158109f, -1.81518757f, -0.810115397f, -1.75135577f, -0.906513274f, -0.0492547862f};
static const float kImageAstronaut[] = {0.645434678f, 1.21734822f, 1.20017707f, -0.995034754f, 1.95103323f, -0.045008108f, 0.939416289f, -0.168085381f, -1.81001997f, 0.539705753f, -0.0104326531f, -1.35143745f, -0.0429144949f, -0.136567175f, 3.37731957f, 0.714968145f, -0.280618012f, -0.352010578f, -1.03340209f, -0.800162852f, 0.390117198f, 0.0838306621f, -0.241826266f, 0.211923048f, -0.00561787328f, -0.636518478f, 0.948289752f, -1.85429907f, -0.610606194f, -1.62964535f, -0.861728191f, -0.102547824f};
static const float kTextDiagram[] = {0.784733176f, 0.873013496f, -1.09547877f, 0.90917331f, 0.847349286f, -0.56579119f, 0.073256515f, 3.00070906f, -1.17030096f, 0.642002523f, 0.707338274f, -0.478550375f, 0.323955864f, -2.09853053f, 1.09035647f, -1.34879351f, -0.0138092712f, -1.4330349f, 1.98217034f, 0.324086607f, -1.14065576f, 1.43631411f, 0.935324669f, 0.568540752f, -0.423015803f, -1.95312691f, 0.97644937f, -0.776743233f, -0.744081199f, -0.635990322f, -1.02068353f, 0.25529632f};
static const float kTextPhotoOfCat[] = {0.0983579457f, -0.2408593f, -1.24088025f, 0.501586556f, 1.43776619f, -1.1885879f, -1.50160277f, 1.94180214f, -0.834838569f, 0.244147748f, 0.268043578f, 0.370439827f, 0.328148633f, -1.444736f, 0.88708955f, -0.185633495f, -1.03762877f, -2.48474884f, 1.71189284f, 0.537880719f, -1.31459093f, 1.01903605f, 0.172220677f, 1.00282705f, -0.725128531f, -1.42115438f, 0.987587631f, -1.43115294f, -0.189860463f, -1.58597314f, -2.10183334f, -0.801842988f};
static const float kTextJapanese[] = {-1.09735024f, -0.240600586f, -0.873740613f, 0.880778432f, 0.522249997f, -0.606099546f, -0.571958303f, 0.0532959811f, 0.076910384f, 0.279126376f, -0.138970301f, 0.0533633009f, 0.334434479f, -1.03191531f, 1.22468948f, 0.827471793f, -0.554357231f, -1.38562024f, 0.366599768f, -0.670409203f, -1.53840613f, 1.16866541f, -1.82842124f, 2.69931555f, 0.194395661f, -1.20742989f, 0.376898706f, -1.26863813f, -0.398890525f, -0.0937329605f, -0.98796016f, -0.785465479f};
static const float kProbsClip[] = {0.0521578826f, 0.00221067737f, 3.77117285e-05f, 0.479422778f, 0.0133660305f, 1.34878667e-06f, 0.0240155514f, 0.0542676933f, 0.374520302f, 6.1809e-16f};
static const float kProbsAstronaut[] = {0.106080472f, 0.00186691026f, 1.51648646e-05f, 0.251158684f, 0.0842649341f, 9.69058988e-07f, 0.18866612f, 0.318538845f, 0.0494078994f, 1.15639045e-15f};

static double cosine(const float* a, const float* b, int n) {
  double dot = 0, na = 0, nb = 0;
  for (int i = 0; i < n; ++i) dot += (double)a[i] * b[i], na += (double)a[i] * a[i], nb += (double)b[i] * b[i];
  return dot / sqrt(na * nb);
}

static double norm(const float* a, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += (double)a[i] * a[i];
  return sqrt(s);
}

static const char* path_in(const char* dir, const char* name) {
  static char buffers[8][1024];
  static int next = 0;
  char* buffer = buffers[next++ % 8];
  snprintf(buffer, sizeof buffers[0], "%s/%s", dir, name);
  return buffer;
}
#define SHARED(name) path_in(CLIPKIT_SHARED_DIR, name)
#define TMP(name) path_in(CLIPKIT_TEST_TMP, name)

static int ends_with(const char* text, const char* suffix) {
  size_t n = strlen(text), m = strlen(suffix);
  return n >= m && strcmp(text + n - m, suffix) == 0;
}

static int write_file(const char* path, const void* bytes, size_t size) {
  FILE* f = fopen(path, "wb");
  if (!f) return 0;
  int ok = fwrite(bytes, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

/* The whole file in a malloc'ed buffer (*size bytes), or NULL. */
static unsigned char* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* bytes = n > 0 ? malloc((size_t)n) : NULL;
  if (bytes && fread(bytes, 1, (size_t)n, f) != (size_t)n) free(bytes), bytes = NULL;
  fclose(f);
  *size = (size_t)n;
  return bytes;
}

static clipkit_model* load_fixture_model(void) {
  clipkit_load_options options;
  clipkit_load_options_init(&options);
  options.vocab = SHARED("data/clip/bpe_simple_vocab_16e6.txt.gz");
  options.threads = 2;
  clipkit_model* model = NULL;
  EXPECT_OK(clipkit_model_load(SHARED("fixtures/models/tiny_quickgelu/model.jit.pt"), &options, &model));
  return model;
}

static void test_basics(void) {
  CHECK(strlen(clipkit_version()) > 0 && strchr(clipkit_version(), '.') != NULL, "version \"%s\"", clipkit_version());
  CHECK(strcmp(clipkit_status_string(CLIPKIT_NOT_FOUND), "not_found") == 0, "%s",
        clipkit_status_string(CLIPKIT_NOT_FOUND));
  clipkit_load_options options;
  clipkit_load_options_init(&options);
  CHECK(options.struct_size == sizeof options && options.truncate == 1 && options.apply_exif_orientation == 1 &&
            options.precision == CLIPKIT_PRECISION_FP32 && options.vocab == NULL,
        "defaults");
}

static void test_model(clipkit_model* model) {
  int32_t dim = 0, size = 0, context = 0;
  clipkit_scoring scoring = CLIPKIT_SCORING_SIGMOID;
  float scale = 0, bias = -1;
  EXPECT_OK(clipkit_model_embed_dim(model, &dim));
  EXPECT_OK(clipkit_model_image_size(model, &size));
  EXPECT_OK(clipkit_model_context_length(model, &context));
  EXPECT_OK(clipkit_model_scoring(model, &scoring));
  EXPECT_OK(clipkit_model_logit_scale(model, &scale));
  EXPECT_OK(clipkit_model_logit_bias(model, &bias));
  CHECK(dim == 32 && size == 64 && context == 77, "dim %d, image size %d, context %d", dim, size, context);
  CHECK(scoring == CLIPKIT_SCORING_SOFTMAX && bias == 0.0f, "scoring %d, bias %g", (int)scoring, bias);
  CHECK(fabs(scale - 98.8644790649414) < 1e-3, "logit scale %g", scale);
  const char* json = NULL;
  EXPECT_OK(clipkit_model_info_json(model, &json));
  CHECK(json && json[0] == '{' && strstr(json, "\"embed_dim\":32") && strstr(json, "\"scoring\":\"softmax\"") &&
            strstr(json, "model.jit.pt"),
        "info %s", json ? json : "(null)");
}

static void test_embeddings(clipkit_model* model) {
  enum { kDim = 32 };
  const char* images[] = {SHARED("data/images/CLIP.png"), SHARED("data/images/astronaut.png")};
  float image_rows[2 * kDim];
  EXPECT_OK(clipkit_embed_image_files(model, images, 2, 0, image_rows, 2 * kDim));
  CHECK(cosine(image_rows, kImageClip, kDim) >= kMinCosine, "CLIP.png cosine %.7f",
        cosine(image_rows, kImageClip, kDim));
  CHECK(cosine(image_rows + kDim, kImageAstronaut, kDim) >= kMinCosine, "astronaut.png cosine %.7f",
        cosine(image_rows + kDim, kImageAstronaut, kDim));
  /* Raw projections keep their length; normalize = 1 gives unit vectors. */
  CHECK(fabs(norm(image_rows, kDim) - norm(kImageClip, kDim)) < 1e-3 * norm(kImageClip, kDim), "raw norm %g vs %g",
        norm(image_rows, kDim), norm(kImageClip, kDim));
  float unit[kDim];
  EXPECT_OK(clipkit_embed_image_files(model, images, 1, 1, unit, kDim));
  CHECK(fabs(norm(unit, kDim) - 1) < 1e-5 && cosine(unit, kImageClip, kDim) >= kMinCosine, "unit norm %g",
        norm(unit, kDim));

  /* The same image as encoded bytes. */
  size_t size = 0;
  unsigned char* bytes = read_file(images[0], &size);
  CHECK(bytes != NULL, "cannot read %s", images[0]);
  if (bytes) {
    float from_bytes[kDim];
    EXPECT_OK(clipkit_embed_image_bytes(model, bytes, size, 0, from_bytes, kDim));
    CHECK(cosine(from_bytes, kImageClip, kDim) >= kMinCosine, "bytes cosine %.7f", cosine(from_bytes, kImageClip, kDim));
    /* Truncated bytes: a corrupt image. */
    EXPECT_STATUS(clipkit_embed_image_bytes(model, bytes, 100, 0, from_bytes, kDim), CLIPKIT_CORRUPT_DATA);
    free(bytes);
  }

  /* RGB pixels: a flat colour is the same image whatever its encoding, so a PNG-free
   * comparison is a 64 × 64 block against a 2 × 2 one (both resize to the same flat
   * 64 × 64 input). */
  unsigned char big[64 * 64 * 3], small[2 * 2 * 3];
  for (size_t i = 0; i < sizeof big; ++i) big[i] = (unsigned char)(i % 3 == 0 ? 200 : i % 3 == 1 ? 40 : 90);
  for (size_t i = 0; i < sizeof small; ++i) small[i] = (unsigned char)(i % 3 == 0 ? 200 : i % 3 == 1 ? 40 : 90);
  float from_big[kDim], from_small[kDim];
  EXPECT_OK(clipkit_embed_image_rgb(model, big, sizeof big, 64, 64, 1, from_big, kDim));
  EXPECT_OK(clipkit_embed_image_rgb(model, small, sizeof small, 2, 2, 1, from_small, kDim));
  CHECK(cosine(from_big, from_small, kDim) >= kMinCosine, "flat colour cosine %.7f", cosine(from_big, from_small, kDim));
  EXPECT_STATUS(clipkit_embed_image_rgb(model, big, sizeof big - 1, 64, 64, 1, from_big, kDim),
                CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("12287");

  /* All ten reference texts: three embeddings checked, then the probabilities over all. */
  char long_text[401];
  memset(long_text, 'x', 400);
  long_text[400] = '\0';
  const char* texts[10] = {"a diagram", "a dog", "a cat", "a photo of a cat", "an astronaut in a white suit",
                           "a cup of coffee", "a rocket on a launch pad", "don\xe2\x80\x99t panic",
                           "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88",
                           long_text};
  float text_rows[10 * kDim];
  EXPECT_OK(clipkit_embed_texts(model, texts, 10, 0, text_rows, 10 * kDim));
  CHECK(cosine(text_rows, kTextDiagram, kDim) >= kMinCosine, "\"a diagram\" cosine %.7f",
        cosine(text_rows, kTextDiagram, kDim));
  CHECK(cosine(text_rows + 3 * kDim, kTextPhotoOfCat, kDim) >= kMinCosine, "\"a photo of a cat\" cosine %.7f",
        cosine(text_rows + 3 * kDim, kTextPhotoOfCat, kDim));
  CHECK(cosine(text_rows + 8 * kDim, kTextJapanese, kDim) >= kMinCosine, "Japanese cosine %.7f",
        cosine(text_rows + 8 * kDim, kTextJapanese, kDim));

  float probs[2 * 10];
  EXPECT_OK(clipkit_label_probs(model, image_rows, 2, text_rows, 10, probs, 20));
  for (int t = 0; t < 10; ++t) {
    CHECK(fabs(probs[t] - kProbsClip[t]) <= kProbTolerance, "CLIP.png prob %d: %.6f vs %.6f", t, probs[t],
          kProbsClip[t]);
    CHECK(fabs(probs[10 + t] - kProbsAstronaut[t]) <= kProbTolerance, "astronaut.png prob %d: %.6f vs %.6f", t,
          probs[10 + t], kProbsAstronaut[t]);
  }
  /* Unit vectors give the same probabilities (scores use cosines). */
  float unit_texts[10 * kDim], probs_unit[10];
  EXPECT_OK(clipkit_embed_texts(model, texts, 10, 1, unit_texts, 10 * kDim));
  EXPECT_OK(clipkit_label_probs(model, unit, 1, unit_texts, 10, probs_unit, 10));
  CHECK(fabs(probs_unit[3] - kProbsClip[3]) <= kProbTolerance, "unit prob %.6f", probs_unit[3]);

  /* Tokens: exact ids (SOT … EOT, zero padding), the over-long text cut with EOT last. */
  int32_t tokens[3 * 77];
  const char* token_texts[] = {"a photo of a cat", texts[8], long_text};
  EXPECT_OK(clipkit_tokenize(model, token_texts, 3, tokens, 3 * 77));
  const int32_t cat[] = {49406, 320, 1125, 539, 320, 2368, 49407};
  const int32_t japanese[] = {49406, 39121, 44353, 34002, 252, 21575, 2429, 228, 47121, 32421, 486, 49407};
  for (int i = 0; i < 77; ++i) {
    CHECK(tokens[i] == (i < 7 ? cat[i] : 0), "cat token %d is %d", i, tokens[i]);
    CHECK(tokens[77 + i] == (i < 12 ? japanese[i] : 0), "Japanese token %d is %d", i, tokens[77 + i]);
  }
  CHECK(tokens[154] == 49406 && tokens[155] == 32035 && tokens[229] == 32035 && tokens[230] == 49407,
        "long text row %d %d … %d %d", tokens[154], tokens[155], tokens[229], tokens[230]);
}

static void test_errors(clipkit_model* model) {
  enum { kDim = 32 };
  float out[2 * kDim];
  clipkit_model* none = NULL;

  /* Missing files name the path. */
  const char* missing = TMP("no-such-model.pt");
  EXPECT_STATUS(clipkit_model_load(missing, NULL, &none), CLIPKIT_NOT_FOUND);
  EXPECT_ERROR_HAS("no-such-model.pt");
  CHECK(none == NULL, "out_model set on failure");
  const char* missing_image = TMP("no-such-image.png");
  EXPECT_STATUS(clipkit_embed_image_files(model, &missing_image, 1, 0, out, kDim), CLIPKIT_NOT_FOUND);
  EXPECT_ERROR_HAS("no-such-image.png");

  /* A corrupt checkpoint and a corrupt image file. */
  const char* corrupt = TMP("corrupt.pt");
  static const char not_a_checkpoint[] = "PK\x03\x04 a zip signature, then no zip";
  CHECK(write_file(corrupt, not_a_checkpoint, sizeof not_a_checkpoint - 1), "cannot write %s", corrupt);
  EXPECT_STATUS(clipkit_model_load(corrupt, NULL, &none), CLIPKIT_CORRUPT_DATA);
  EXPECT_ERROR_HAS("corrupt.pt");
  const char* truncated = SHARED("data/images/chelsea_truncated.jpg");
  EXPECT_STATUS(clipkit_embed_image_files(model, &truncated, 1, 0, out, kDim), CLIPKIT_CORRUPT_DATA);
  EXPECT_ERROR_HAS("chelsea_truncated.jpg");
  /* Bytes that are no image format at all. */
  EXPECT_STATUS(clipkit_embed_image_bytes(model, (const uint8_t*)"not an image, just text", 23, 0, out, kDim),
                CLIPKIT_UNSUPPORTED);

  /* NULL handles and pointers are refused, never followed. */
  const char* text = "a dog";
  EXPECT_STATUS(clipkit_model_load(NULL, NULL, NULL), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("out_model is NULL");
  EXPECT_STATUS(clipkit_embed_texts(NULL, &text, 1, 0, out, kDim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("model is NULL");
  EXPECT_STATUS(clipkit_embed_texts(model, NULL, 1, 0, out, kDim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_embed_texts(model, &text, 1, 0, NULL, kDim), CLIPKIT_INVALID_ARGUMENT);
  const char* with_null[] = {"a dog", NULL};
  EXPECT_STATUS(clipkit_embed_texts(model, with_null, 2, 0, out, 2 * kDim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("texts[1] is NULL");
  int32_t dim;
  EXPECT_STATUS(clipkit_model_embed_dim(NULL, &dim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_model_embed_dim(model, NULL), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_model_info_json(model, NULL), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_label_probs(model, NULL, 1, out, 1, out, 1), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_index_open(NULL, 1, NULL), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_hits_count(NULL, NULL), CLIPKIT_INVALID_ARGUMENT);
  clipkit_model_free(NULL);
  clipkit_index_free(NULL);
  clipkit_hits_free(NULL);

  /* Empty and blank texts, text that is not UTF-8. */
  const char* empty = "";
  const char* blank = "  \t ";
  const char* latin1 = "caf\xe9";
  EXPECT_STATUS(clipkit_embed_texts(model, &empty, 1, 0, out, kDim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("empty text");
  EXPECT_STATUS(clipkit_embed_texts(model, &blank, 1, 0, out, kDim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_embed_texts(model, &latin1, 1, 0, out, kDim), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("UTF-8");

  /* Output buffers too small: refused before computing, the size needed named. */
  const char* two[] = {"a dog", "a cat"};
  out[0] = 12345.0f;
  EXPECT_STATUS(clipkit_embed_texts(model, two, 2, 0, out, 2 * kDim - 1), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("needs 64");
  CHECK(out[0] == 12345.0f, "out written on failure");
  int32_t tokens[77];
  EXPECT_STATUS(clipkit_tokenize(model, two, 2, tokens, 77), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("needs 154");
  EXPECT_STATUS(clipkit_label_probs(model, out, 1, out, 2, out, 1), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_STATUS(clipkit_embed_texts(model, two, 0, 0, out, 2 * kDim), CLIPKIT_INVALID_ARGUMENT);

  /* A zero vector has no direction: no probabilities. */
  float zeros[kDim] = {0};
  float probs[1];
  EXPECT_STATUS(clipkit_label_probs(model, zeros, 1, zeros, 1, probs, 1), CLIPKIT_INVALID_ARGUMENT);

  /* Options that were not initialised or hold nonsense. */
  clipkit_load_options options;
  memset(&options, 0, sizeof options);
  EXPECT_STATUS(clipkit_model_load(SHARED("fixtures/models/tiny_quickgelu/model.jit.pt"), &options, &none),
                CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("clipkit_load_options_init");
  clipkit_load_options_init(&options);
  options.precision = 7;
  EXPECT_STATUS(clipkit_model_load(SHARED("fixtures/models/tiny_quickgelu/model.jit.pt"), &options, &none),
                CLIPKIT_INVALID_ARGUMENT);
  CHECK(none == NULL, "out_model set on failure");
}

/* clipkit_last_error() is per thread: a failure on another thread leaves ours as it was. */
static void* fail_on_other_thread(void* model) {
  const char* empty = "";
  float out[32];
  clipkit_status status = clipkit_embed_texts((const clipkit_model*)model, &empty, 1, 0, out, 32);
  return strstr(clipkit_last_error(), "empty text") && status == CLIPKIT_INVALID_ARGUMENT ? model : NULL;
}

static void test_thread_local_error(clipkit_model* model) {
  int32_t dim;
  EXPECT_STATUS(clipkit_model_embed_dim(NULL, &dim), CLIPKIT_INVALID_ARGUMENT);
  pthread_t thread;
  void* result = NULL;
  CHECK(pthread_create(&thread, NULL, fail_on_other_thread, model) == 0 && pthread_join(thread, &result) == 0 &&
            result == model,
        "the other thread's error");
  EXPECT_ERROR_HAS("clipkit_model_embed_dim: model is NULL");
}

static void test_index(clipkit_model* model) {
  enum { kDim = 32 };
  const char* db = TMP("capi.clipkit");
  remove(db);
  char wal[1100], shm[1100];
  snprintf(wal, sizeof wal, "%s-wal", db), snprintf(shm, sizeof shm, "%s-shm", db);
  remove(wal), remove(shm);

  /* A copy of coffee.png under a name that is not UTF-8 (byte 0xff). */
  const char* odd = TMP("caf\xff.png");
  size_t size = 0;
  unsigned char* bytes = read_file(SHARED("data/images/coffee.png"), &size);
  CHECK(bytes && write_file(odd, bytes, size), "cannot write %s", odd);
  free(bytes);

  clipkit_index* index = NULL;
  EXPECT_STATUS(clipkit_index_open(db, 0, &index), CLIPKIT_NOT_FOUND);
  EXPECT_OK(clipkit_index_open(db, 1, &index));
  if (!index) return;
  size_t count = 99;
  EXPECT_OK(clipkit_index_count(index, &count));
  CHECK(count == 0, "new index counts %zu", count);

  const char* paths[] = {SHARED("data/images/CLIP.png"), SHARED("data/images/astronaut.png"),
                         SHARED("data/images/rocket.jpg"), odd};
  size_t embedded = 0, errors = 99;
  EXPECT_OK(clipkit_index_add_paths(index, model, paths, 4, &embedded, &errors));
  CHECK(embedded == 4 && errors == 0, "embedded %zu, errors %zu", embedded, errors);
  EXPECT_OK(clipkit_index_count(index, &count));
  CHECK(count == 4, "count %zu", count);
  /* Again: nothing changed, nothing embedded. */
  EXPECT_OK(clipkit_index_add_paths(index, model, paths, 4, &embedded, NULL));
  CHECK(embedded == 0, "second add embedded %zu", embedded);
  const char* gone = TMP("gone");
  EXPECT_STATUS(clipkit_index_add_paths(index, model, &gone, 1, NULL, NULL), CLIPKIT_NOT_FOUND);

  /* By text: OpenAI's logits rank astronaut.png first for this text among the four, at
   * cosine 0.26237. */
  clipkit_hits* hits = NULL;
  clipkit_hit hit;
  EXPECT_OK(clipkit_index_search_text(index, model, "an astronaut in a white suit", 3, &hits));
  EXPECT_OK(clipkit_hits_count(hits, &count));
  CHECK(count == 3, "%zu text hits", count);
  EXPECT_OK(clipkit_hits_get(hits, 0, &hit));
  CHECK(ends_with(hit.path, "/astronaut.png") && fabs(hit.score - 0.26237) < 1e-3, "text hit %s %.5f", hit.path,
        hit.score);
  EXPECT_STATUS(clipkit_hits_get(hits, 3, &hit), CLIPKIT_INVALID_ARGUMENT);
  clipkit_hits_free(hits);

  /* By image file: the image itself, at cosine 1. */
  hits = NULL;
  EXPECT_OK(clipkit_index_search_image_file(index, model, paths[2], 10, &hits));
  EXPECT_OK(clipkit_hits_count(hits, &count));
  CHECK(count == 4, "%zu image hits", count);
  EXPECT_OK(clipkit_hits_get(hits, 0, &hit));
  CHECK(ends_with(hit.path, "/rocket.jpg") && hit.score > 0.9999f && hit.id > 0 && hit.path_is_utf8 &&
            hit.path_utf8 == hit.path && hit.path_size == strlen(hit.path),
        "image hit %s %.6f", hit.path, hit.score);
  clipkit_hits_free(hits);

  /* By vector: the raw embedding of the copy with the non-UTF-8 name finds it; its path
   * is the exact bytes, path_utf8 shows the bad byte as U+FFFD. */
  float vector[kDim];
  EXPECT_OK(clipkit_embed_image_files(model, &odd, 1, 0, vector, kDim));
  hits = NULL;
  EXPECT_OK(clipkit_index_search_vector(index, vector, kDim, 1, &hits));
  EXPECT_OK(clipkit_hits_count(hits, &count));
  CHECK(count == 1, "%zu vector hits", count);
  EXPECT_OK(clipkit_hits_get(hits, 0, &hit));
  CHECK(ends_with(hit.path, "/caf\xff.png") && !hit.path_is_utf8 && ends_with(hit.path_utf8, "/caf\xef\xbf\xbd.png") &&
            hit.score > 0.9999f,
        "vector hit %s (%s) %.6f", hit.path_utf8, hit.path_is_utf8 ? "UTF-8" : "bytes", hit.score);
  clipkit_hits_free(hits);

  /* Errors: a query of the wrong size, k = 0, a model that did not make the index. */
  hits = NULL;
  EXPECT_STATUS(clipkit_index_search_vector(index, vector, kDim - 1, 1, &hits), CLIPKIT_INVALID_ARGUMENT);
  EXPECT_ERROR_HAS("31-d query");
  EXPECT_STATUS(clipkit_index_search_vector(index, vector, kDim, 0, &hits), CLIPKIT_INVALID_ARGUMENT);
  CHECK(hits == NULL, "out_hits set on failure");

  /* The embedded default model (path NULL) has another embedding space. */
  clipkit_model* other = NULL;
  EXPECT_OK(clipkit_model_load(NULL, NULL, &other));
  if (other) {
    const char* json = NULL;
    EXPECT_OK(clipkit_model_info_json(other, &json));
    CHECK(json && strstr(json, "emoji-clip"), "default model %s", json ? json : "(null)");
    EXPECT_STATUS(clipkit_index_search_text(index, other, "a dog", 1, &hits), CLIPKIT_INVALID_ARGUMENT);
    EXPECT_ERROR_HAS("indexed with another model");
    clipkit_model_free(other);
  }
  clipkit_index_free(index);
  remove(odd);
}

int main(void) {
  mkdir(CLIPKIT_TEST_TMP, 0755);
  test_basics();
  clipkit_model* model = load_fixture_model();
  if (!model) return 1;
  test_model(model);
  test_embeddings(model);
  test_errors(model);
  test_thread_local_error(model);
  test_index(model);
  clipkit_model_free(model);
  if (failures) {
    fprintf(stderr, "capi_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_test: all checks passed\n");
  return 0;
}
