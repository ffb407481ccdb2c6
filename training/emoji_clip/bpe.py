"""CLIP's byte-level BPE: a re-implementation of OpenAI's clip/simple_tokenizer.py encode
(with the parts of ftfy.fix_text that can change CLDR text: NFC, character width,
quote uncurling, Latin ligatures), and a trainer for new merges in the same format.

The vocabulary layout is OpenAI's: 256 byte symbols, the same 256 with "</w>", one token
per merge in order, then <|startoftext|> and <|endoftext|> (the two largest ids).
"""
import gzip
import html
import unicodedata
from collections import Counter

import regex

PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()

_WIDTH = {}
for _cp in range(0xFF01, 0xFFF0):
    _alt = unicodedata.normalize("NFKC", chr(_cp))
    if _alt != chr(_cp):
        _WIDTH[_cp] = _alt
_WIDTH[0x3000] = " "
_QUOTES = {0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'",
           0x201C: '"', 0x201D: '"', 0x201E: '"', 0x201F: '"'}
_LIGATURES = {0x0132: "IJ", 0x0133: "ij", 0x0149: "ʼn", 0x01C4: "DŽ", 0x01C5: "Dž",
              0x01C6: "dž", 0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj", 0x01CA: "NJ",
              0x01CB: "Nj", 0x01CC: "nj", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
              0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl",
              0xFB05: "ſt", 0xFB06: "st"}


def clean(text):
    """basic_clean + whitespace_clean + lower, as simple_tokenizer.encode does."""
    text = text.translate(_LIGATURES).translate(_WIDTH).translate(_QUOTES)
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(html.unescape(text)).strip()
    text = regex.sub(r"\s+", " ", text).strip()
    return text.lower()


def pretokenize(text):
    """Cleaned text -> list of byte-encoded words (strings of bytes_to_unicode chars)."""
    return ["".join(BYTE_ENCODER[b] for b in w.encode("utf-8"))
            for w in PATTERN.findall(clean(text))]


def base_vocab():
    v = list(bytes_to_unicode().values())
    return v + [s + "</w>" for s in v]


class Tokenizer:
    def __init__(self, merges):
        self.merges = merges
        vocab = base_vocab() + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
        assert len(set(vocab)) == len(vocab), "duplicate vocabulary entries"
        self.encoder = {t: i for i, t in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.sot = self.encoder["<|startoftext|>"]
        self.eot = self.encoder["<|endoftext|>"]
        self.vocab_size = len(vocab)
        self.cache = {}

    @classmethod
    def load(cls, path):
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split()) for l in lines[1:] if l.strip()]
        return cls(merges)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for w in pretokenize(text):
            ids.extend(self.encoder[t] for t in self.bpe(w))
        return ids

    def tokenize(self, text, context_length):
        ids = [self.sot] + self.encode(text) + [self.eot]
        if len(ids) > context_length:
            ids = ids[:context_length]
            ids[-1] = self.eot
        return ids + [0] * (context_length - len(ids))


def train_merges(texts, num_merges):
    """Byte-level BPE merges learned from texts (an iterable of captions), most frequent
    pair first; ties broken by the pair's strings so the result is deterministic. A
    merge whose result already is a token is skipped, so vocabulary entries stay
    unique (as simple_tokenizer's encoder dict needs)."""
    word_counts = Counter()
    for t in texts:
        word_counts.update(pretokenize(t))
    words = [list(w[:-1]) + [w[-1] + "</w>"] for w in sorted(word_counts)]
    counts = [word_counts[w] for w in sorted(word_counts)]
    pair_count = Counter()
    where = {}
    for wi, w in enumerate(words):
        for p in zip(w, w[1:]):
            pair_count[p] += counts[wi]
            where.setdefault(p, set()).add(wi)
    tokens = set(base_vocab())
    merges, banned = [], set()
    while len(merges) < num_merges:
        best, best_key = None, None
        for p, c in pair_count.items():
            if c <= 0 or p in banned:
                continue
            k = (c, p)
            if best_key is None or k > best_key:
                best, best_key = p, k
        if best is None:
            break
        joined = best[0] + best[1]
        if joined in tokens:
            banned.add(best)
            continue
        tokens.add(joined)
        merges.append(best)
        for wi in list(where.get(best, ())):
            w = words[wi]
            c = counts[wi]
            for p in zip(w, w[1:]):
                pair_count[p] -= c
            out, i = [], 0
            while i < len(w):
                if i < len(w) - 1 and w[i] == best[0] and w[i + 1] == best[1]:
                    out.append(joined)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[wi] = out
            for p in zip(out, out[1:]):
                pair_count[p] += c
                where.setdefault(p, set()).add(wi)
        del pair_count[best]
        where.pop(best, None)
        if len(pair_count) > 4 * len(where) + 100000:
            pair_count = Counter({p: c for p, c in pair_count.items() if c > 0})
    return merges


def write_merges(merges, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("#version: emoji-clip byte-level BPE, trained on CLDR emoji captions\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
