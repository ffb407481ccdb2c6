/* clipkit/clipkit.h — the C API: CLIP image/text embeddings, label probabilities and
 * image search for C and for other languages' bindings (JNI, ctypes, cgo, …).
 *
 *   clipkit_load_options options;
 *   clipkit_load_options_init(&options);
 *   options.vocab = "bpe_simple_vocab_16e6.txt.gz";
 *   clipkit_model* model = NULL;
 *   if (clipkit_model_load("ViT-B-32.pt", &options, &model) != CLIPKIT_OK) {
 *     fprintf(stderr, "%s\n", clipkit_last_error());
 *     return 1;
 *   }
 *   int32_t dim;
 *   clipkit_model_embed_dim(model, &dim);
 *   const char* image_path = "CLIP.png";
 *   const char* labels[] = {"a diagram", "a dog", "a cat"};
 *   float* image = malloc(dim * sizeof(float));
 *   float* texts = malloc(3 * dim * sizeof(float));
 *   float probs[3];
 *   clipkit_embed_image_files(model, &image_path, 1, 1, image, dim);
 *   clipkit_embed_texts(model, labels, 3, 1, texts, 3 * dim);
 *   clipkit_label_probs(model, image, 1, texts, 3, probs, 3);
 *   free(image), free(texts), clipkit_model_free(model);
 *
 * Conventions
 *  - Every call that can fail returns a clipkit_status; CLIPKIT_OK is 0. On failure,
 *    clipkit_last_error() holds a message naming the file/text/argument and the problem
 *    (thread-local: each thread sees its own last failure). Out-parameters are left
 *    unchanged on failure. Successful calls do not clear the message (as errno).
 *    Messages start with the function's name, e.g. "clipkit_model_load: x.pt: …".
 *  - No C++ exception crosses this API; a NULL handle or pointer argument is refused
 *    with CLIPKIT_INVALID_ARGUMENT (never a crash), out of memory is
 *    CLIPKIT_RESOURCE_EXHAUSTED.
 *  - Text is UTF-8, NUL-terminated; text that is not valid UTF-8 is refused
 *    (CLIPKIT_INVALID_ARGUMENT). Paths are NUL-terminated bytes, passed to the OS as
 *    they are (on Linux they need not be UTF-8; search hits give them back exactly, and
 *    as UTF-8 for display: clipkit_hit).
 *  - Float buffers belong to the caller and are row-major: n embeddings are n × dim
 *    floats. Each output buffer comes with its capacity in elements; a buffer smaller
 *    than the result is refused (CLIPKIT_INVALID_ARGUMENT, saying the size needed)
 *    before anything is computed.
 *  - Handles (clipkit_model, clipkit_index, clipkit_hits) are created by this API and
 *    released by their _free function, which accepts NULL.
 *  - Booleans are int: 0 is false, anything else true.
 *
 * Thread-safety: a loaded clipkit_model is immutable; every call taking a const
 * clipkit_model* may run on many threads at once. A clipkit_index may be searched and
 * counted from many threads at once; clipkit_index_add_paths must not run concurrently
 * with anything else on the same index. A clipkit_hits is read-only after creation.
 *
 * Link with clipkit::clipkit (CMake). The implementation is C++ (static libraries):
 * a C program links it with a C++ linker or adds -lstdc++ (CMake does this itself).
 */
#ifndef CLIPKIT_CLIPKIT_H
#define CLIPKIT_CLIPKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Mirrors clipkit::ErrorCode (clipkit/error.hpp), plus OK. */
typedef enum clipkit_status {
  CLIPKIT_OK = 0,
  CLIPKIT_INVALID_ARGUMENT = 1,   /* an unusable argument: NULL, empty text, short buffer */
  CLIPKIT_NOT_FOUND = 2,          /* a file, tensor or key that should exist does not */
  CLIPKIT_CORRUPT_DATA = 3,       /* bytes that do not parse: truncated or malformed file */
  CLIPKIT_UNSUPPORTED = 4,        /* valid input clipkit does not handle */
  CLIPKIT_RESOURCE_EXHAUSTED = 5, /* over a cap (pixel count), or out of memory */
  CLIPKIT_INTERNAL = 6,           /* a bug in clipkit */
} clipkit_status;

/* "ok", "invalid_argument", "not_found", … (static strings; "unknown" otherwise). */
const char* clipkit_status_string(clipkit_status status);

/* The message of the calling thread's last failed call ("" before any failure). Valid
 * until the thread's next failing clipkit call. */
const char* clipkit_last_error(void);

/* The library's version, e.g. "0.1.0" (static). */
const char* clipkit_version(void);

/* ---- Models -------------------------------------------------------------------- */

typedef enum clipkit_precision {
  CLIPKIT_PRECISION_FP32 = 0, /* exact (default) */
  CLIPKIT_PRECISION_BF16 = 1, /* cosine >= 0.9995 to fp32 */
  CLIPKIT_PRECISION_INT8 = 2, /* cosine >= 0.995 to fp32 */
} clipkit_precision;

/* How a model turns image–text cosines into label scores (clipkit::Scoring). */
typedef enum clipkit_scoring {
  CLIPKIT_SCORING_SOFTMAX = 0, /* CLIP: softmax over the texts (each row sums to 1) */
  CLIPKIT_SCORING_SIGMOID = 1, /* SigLIP: an independent sigmoid per text */
} clipkit_scoring;

typedef struct clipkit_load_options {
  /* sizeof(clipkit_load_options) as the caller was compiled: set by
   * clipkit_load_options_init, so that later versions can add fields at the end.
   * Fields are fixed-size integers and pointers, so bindings can lay the struct out. */
  size_t struct_size;
  /* The tokenizer file (bpe_simple_vocab_16e6.txt.gz, vocab.json, a SentencePiece
   * .model, Chinese-CLIP's vocab.txt). NULL: the model folder's, then $CLIPKIT_VOCAB,
   * then bpe_simple_vocab_16e6.txt.gz beside the model file. */
  const char* vocab;
  /* A text tower from another checkpoint (M-CLIP), paired with the model's image
   * tower. NULL: none. */
  const char* text_model;
  int32_t precision;           /* a clipkit_precision; default CLIPKIT_PRECISION_FP32 */
  int32_t threads;             /* compute threads; 0 (default) = all cores */
  int32_t apply_exif_orientation; /* rotate/flip photos as EXIF says; default 1 */
  uint64_t max_pixels;         /* refuse larger images before decoding; default 100000000 */
  int32_t truncate;            /* over-long texts: cut (1, default) or refuse (0) */
} clipkit_load_options;

/* Fills *options with the defaults above. */
void clipkit_load_options_init(clipkit_load_options* options);

typedef struct clipkit_model clipkit_model;

/* Loads a checkpoint file (.pt, .bin, .safetensors) or folder (Hugging Face, open_clip)
 * with its tokenizer. path NULL: $CLIPKIT_MODEL, else the embedded default model
 * (emoji-clip: <prefix>/share/clipkit/models of the installed libclipkit.so or program,
 * or the source tree);
 * CLIPKIT_NOT_FOUND when there is none. options NULL: the defaults. On success
 * *out_model is a new model to release with clipkit_model_free.
 * Errors: NOT_FOUND (no such file, no vocabulary), CORRUPT_DATA, UNSUPPORTED,
 * INVALID_ARGUMENT (bad options, tokenizer and model that do not fit). */
clipkit_status clipkit_model_load(const char* path, const clipkit_load_options* options,
                                  clipkit_model** out_model);
void clipkit_model_free(clipkit_model* model);

clipkit_status clipkit_model_embed_dim(const clipkit_model* model, int32_t* out_dim);
/* The side of the square the image tower takes (224 for ViT-B/32). */
clipkit_status clipkit_model_image_size(const clipkit_model* model, int32_t* out_size);
/* Token ids per text row (77 for CLIP, 64 SigLIP, 52 Chinese-CLIP). */
clipkit_status clipkit_model_context_length(const clipkit_model* model, int32_t* out_length);
clipkit_status clipkit_model_scoring(const clipkit_model* model, clipkit_scoring* out_scoring);
/* exp(logit_scale) as stored, and SigLIP's logit_bias (0 for CLIP). */
clipkit_status clipkit_model_logit_scale(const clipkit_model* model, float* out_scale);
clipkit_status clipkit_model_logit_bias(const clipkit_model* model, float* out_bias);
/* What was loaded, as the JSON object `clipkit info --json` prints for a model
 * (family, format, architecture, dims, precision, scoring, preprocess, tokenizer, every
 * choice read from the files). UTF-8; a path that is not valid UTF-8 is shown with
 * U+FFFD and given exactly in "path_b64". *out_json is owned by the model: valid until
 * clipkit_model_free. */
clipkit_status clipkit_model_info_json(const clipkit_model* model, const char** out_json);

/* ---- Embeddings ---------------------------------------------------------------- */
/* Each writes count × dim floats to out (capacity out_count floats, dim =
 * clipkit_model_embed_dim). normalize 0: the raw projections (OpenAI's encode_image /
 * encode_text); otherwise unit vectors. */

/* Decodes (JPEG, PNG, WebP, BMP, GIF, by content) and embeds `count` image files.
 * Errors name the file: NOT_FOUND, CORRUPT_DATA, UNSUPPORTED, RESOURCE_EXHAUSTED
 * (over max_pixels). */
clipkit_status clipkit_embed_image_files(const clipkit_model* model, const char* const* paths, size_t count,
                                         int normalize, float* out, size_t out_count);
/* One encoded image file held in memory (size bytes). */
clipkit_status clipkit_embed_image_bytes(const clipkit_model* model, const uint8_t* bytes, size_t size,
                                         int normalize, float* out, size_t out_count);
/* One image of 8-bit RGB pixels, row-major and interleaved: height rows of width × 3
 * bytes, size = width × height × 3 (checked). The model's transform (resize, crop,
 * normalize) is applied as to a decoded RGB file. */
clipkit_status clipkit_embed_image_rgb(const clipkit_model* model, const uint8_t* pixels, size_t size,
                                       int32_t width, int32_t height, int normalize, float* out,
                                       size_t out_count);
/* `count` UTF-8 texts through the model's tokenizer and text tower. An empty or
 * all-blank text is INVALID_ARGUMENT, as is an over-long one with truncate = 0. */
clipkit_status clipkit_embed_texts(const clipkit_model* model, const char* const* texts, size_t count,
                                   int normalize, float* out, size_t out_count);

/* The token rows the text tower takes: count × context_length ids to out (capacity
 * out_count). Same errors as clipkit_embed_texts. */
clipkit_status clipkit_tokenize(const clipkit_model* model, const char* const* texts, size_t count, int32_t* out,
                                size_t out_count);

/* The model's label scores for image_count images against text_count texts:
 * image_count × text_count floats to out (capacity out_count), row i for image i.
 * Softmax over the texts (CLIP) or a sigmoid per text (SigLIP), as clipkit_model_scoring
 * says. images: image_count × dim floats, texts: text_count × dim, raw or unit (scores
 * use cosines). INVALID_ARGUMENT for a zero vector or zero counts. */
clipkit_status clipkit_label_probs(const clipkit_model* model, const float* images, size_t image_count,
                                   const float* texts, size_t text_count, float* out, size_t out_count);

/* ---- Image search --------------------------------------------------------------- */

typedef struct clipkit_index clipkit_index;

/* Opens (create != 0: or creates) an index database, as `clipkit index --db`.
 * Errors: NOT_FOUND (missing folder; missing file with create = 0), CORRUPT_DATA (not a
 * clipkit database). Release with clipkit_index_free. */
clipkit_status clipkit_index_open(const char* db_path, int create, clipkit_index** out_index);
void clipkit_index_free(clipkit_index* index);

/* Number of files in the index that have a vector. */
clipkit_status clipkit_index_count(const clipkit_index* index, size_t* out_count);

/* Indexes `count` paths (folders recursively, image files as given), as `clipkit index`:
 * new and changed images are embedded, moved ones recognised by content, files under
 * these paths that are gone are dropped, unreadable files recorded with the reason
 * (not an error of the call; *out_errors counts them, may be NULL). *out_embedded
 * (may be NULL): images run through the model. INVALID_ARGUMENT when the index was
 * made with another model; NOT_FOUND for a path that does not exist (nothing changes). */
clipkit_status clipkit_index_add_paths(clipkit_index* index, const clipkit_model* model, const char* const* paths,
                                       size_t count, size_t* out_embedded, size_t* out_errors);

/* Search results, best first. */
typedef struct clipkit_hits clipkit_hits;

typedef struct clipkit_hit {
  int64_t id;                /* the file's row id in the database */
  float score;               /* cosine similarity, higher is closer */
  /* The path exactly as stored (the file's bytes on Linux: pass it to fopen as it is),
   * NUL-terminated, path_size bytes before the NUL. */
  const char* path;
  size_t path_size;
  int path_is_utf8;          /* whether path is valid UTF-8 */
  /* path as valid UTF-8 for display and UTF-8-only strings (Java): each byte that is not
   * part of a valid sequence becomes U+FFFD. The same pointer as path when valid. */
  const char* path_utf8;
} clipkit_hit;

/* Up to k nearest images to the text / image file / vector. The text and image are
 * embedded with `model`, which must be the model that made the index
 * (INVALID_ARGUMENT otherwise). vector: dim floats, raw or unit (it is normalized).
 * An empty index gives no hits. Release *out_hits with clipkit_hits_free. */
clipkit_status clipkit_index_search_text(const clipkit_index* index, const clipkit_model* model, const char* text,
                                         size_t k, clipkit_hits** out_hits);
clipkit_status clipkit_index_search_image_file(const clipkit_index* index, const clipkit_model* model,
                                               const char* path, size_t k, clipkit_hits** out_hits);
clipkit_status clipkit_index_search_vector(const clipkit_index* index, const float* vector, size_t dim, size_t k,
                                           clipkit_hits** out_hits);

clipkit_status clipkit_hits_count(const clipkit_hits* hits, size_t* out_count);
/* Hit i (< count). The strings in *out_hit are owned by hits: valid until
 * clipkit_hits_free. */
clipkit_status clipkit_hits_get(const clipkit_hits* hits, size_t i, clipkit_hit* out_hit);
void clipkit_hits_free(clipkit_hits* hits);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* CLIPKIT_CLIPKIT_H */
