/*
 * ps-stream: streaming speech recognition with pocketsphinx (5prealpha C API).
 *
 * stdin : raw PCM16LE, 16 kHz, mono (any chunking; an odd trailing byte is carried over).
 * stdout: one JSON object per line, nothing else:
 *   {"type":"ready"}                                   once the decoder is initialised
 *   {"type":"partial","utt":N,"text":"...","startMs":S,"endMs":E}   E = audio received so far
 *   {"type":"final","utt":N,"text":"...","startMs":S,"endMs":E,"confidence":C}
 *   {"type":"eof"}                                     after stdin closed and everything was flushed
 * Utterances are delimited by pocketsphinx's voice activity detection (in speech -> not in
 * speech), like pocketsphinx_continuous. Times are milliseconds from the start of the stream:
 * pocketsphinx numbers frames (10 ms) from the start of the decoder's input, silence included,
 * and every value is clamped to the samples actually received. N starts at 1 and advances only after a non-empty final, so an
 * utterance whose hypothesis ended up empty is superseded by the next one.
 *
 * Options (each also from the environment; defaults are the Debian model paths):
 *   -hmm DIR        PS_HMM   /usr/share/pocketsphinx/model/en-us/en-us
 *   -lm FILE        PS_LM    /usr/share/pocketsphinx/model/en-us/en-us.lm.bin
 *   -dict FILE      PS_DICT  /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict
 *   -partial_ms N   PS_PARTIAL_MS  300   minimum audio between two partials
 * Any other "-name value" pair is passed to pocketsphinx unchanged (e.g. -vad_threshold 3.0).
 * Diagnostics go to stderr; pocketsphinx's own log goes to /dev/null.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#define SAMPLE_RATE 16000
#define SAMPLES_PER_MS 16
#define CHUNK_SAMPLES 320 /* 20 ms: VAD transitions are located to within one chunk */
#define READ_BYTES 16384
#define FRAME_MS 10
#define MAX_ARGS 128

static const char *DEFAULT_HMM = "/usr/share/pocketsphinx/model/en-us/en-us";
static const char *DEFAULT_LM = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
static const char *DEFAULT_DICT = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

typedef struct {
    ps_decoder_t *ps;
    long long samples;        /* samples fed so far */
    int utt;                  /* number of the current utterance (1-based) */
    int in_utt;               /* speech detected in the current utterance */
    long long utt_start_ms;   /* estimated speech onset of the current utterance */
    long long last_end_ms;    /* end of the previous final */
    long long last_partial_at;/* samples at the last partial check */
    char *last_partial;
    int partial_every_samples;
    int startspeech_frames;
} stream_t;

static void die_output(void) {
    /* stdout is gone (reader closed the pipe): nothing left to do. */
    exit(0);
}

static void emit_raw(const char *s) {
    if (fputs(s, stdout) == EOF || fflush(stdout) == EOF) die_output();
}

static void json_string(const char *s, char *out, size_t cap) {
    size_t o = 0;
    if (cap == 0) return;
    for (; *s && o + 7 < cap; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

static long long now_ms(const stream_t *st) { return st->samples / SAMPLES_PER_MS; }

static long long clampll(long long v, long long lo, long long hi) {
    if (v < lo) return lo;
    if (v > hi) return hi;
    return v;
}

static int is_filler(const char *w) {
    return w[0] == '<' || w[0] == '[' || strcmp(w, "<sil>") == 0;
}

static void emit_partial(stream_t *st) {
    const char *hyp = ps_get_hyp(st->ps, NULL);
    if (hyp == NULL || hyp[0] == '\0') return;
    if (st->last_partial != NULL && strcmp(st->last_partial, hyp) == 0) return;
    free(st->last_partial);
    st->last_partial = strdup(hyp);
    size_t cap = strlen(hyp) * 6 + 1;
    char *esc = malloc(cap);
    char *line = malloc(cap + 128);
    if (esc == NULL || line == NULL) { free(esc); free(line); return; }
    json_string(hyp, esc, cap);
    long long first = -1;
    ps_seg_t *it;
    for (it = ps_seg_iter(st->ps); it != NULL; it = ps_seg_next(it)) {
        int sf, ef;
        if (is_filler(ps_seg_word(it))) continue;
        ps_seg_frames(it, &sf, &ef);
        first = sf;
        ps_seg_free(it);
        break;
    }
    long long start = clampll(first >= 0 ? first * FRAME_MS : st->utt_start_ms, st->last_end_ms, now_ms(st));
    snprintf(line, cap + 128, "{\"type\":\"partial\",\"utt\":%d,\"text\":\"%s\",\"startMs\":%lld,\"endMs\":%lld}\n", st->utt, esc, start, now_ms(st));
    emit_raw(line);
    free(esc);
    free(line);
}

/* Called after ps_end_utt: emits the final of the current utterance if it has words. */
static void emit_final(stream_t *st) {
    int32 score;
    const char *hyp = ps_get_hyp(st->ps, &score);
    free(st->last_partial);
    st->last_partial = NULL;
    if (hyp == NULL || hyp[0] == '\0') return;

    logmath_t *lmath = ps_get_logmath(st->ps);
    double conf = logmath_exp(lmath, ps_get_prob(st->ps));
    long long first = -1, last = -1;
    double wsum = 0;
    int wn = 0;
    ps_seg_t *it;
    for (it = ps_seg_iter(st->ps); it != NULL; it = ps_seg_next(it)) {
        const char *w = ps_seg_word(it);
        int sf, ef;
        if (is_filler(w)) continue;
        ps_seg_frames(it, &sf, &ef);
        if (first < 0) first = sf;
        last = ef + 1;
        wsum += logmath_exp(lmath, ps_seg_prob(it, NULL, NULL, NULL));
        wn++;
    }
    if (wn > 0 && wsum > 0) conf = wsum / wn;
    if (!(conf >= 0)) conf = 0;
    if (conf > 1) conf = 1;

    long long end_now = now_ms(st);
    long long start = first >= 0 ? first * FRAME_MS : st->utt_start_ms;
    long long end = last >= 0 ? last * FRAME_MS : end_now;
    start = clampll(start, st->last_end_ms, end_now);
    end = clampll(end, start, end_now);

    size_t cap = strlen(hyp) * 6 + 1;
    char *esc = malloc(cap);
    char *line = malloc(cap + 192);
    if (esc == NULL || line == NULL) { free(esc); free(line); return; }
    json_string(hyp, esc, cap);
    snprintf(line, cap + 192,
             "{\"type\":\"final\",\"utt\":%d,\"text\":\"%s\",\"startMs\":%lld,\"endMs\":%lld,\"confidence\":%.3f}\n",
             st->utt, esc, start, end, conf);
    emit_raw(line);
    free(esc);
    free(line);
    st->last_end_ms = end;
    st->utt++;
}

static void process(stream_t *st, const int16 *pcm, size_t n) {
    while (n > 0) {
        size_t k = n < CHUNK_SAMPLES ? n : CHUNK_SAMPLES;
        if (ps_process_raw(st->ps, pcm, k, FALSE, FALSE) < 0) {
            fprintf(stderr, "ps-stream: ps_process_raw failed\n");
            exit(3);
        }
        st->samples += (long long)k;
        pcm += k;
        n -= k;
        int in_speech = ps_get_in_speech(st->ps);
        if (in_speech && !st->in_utt) {
            st->in_utt = 1;
            /* Fallback start when no word is segmented: VAD confirms speech after startspeech frames. */
            long long onset = now_ms(st) - (long long)st->startspeech_frames * FRAME_MS;
            st->utt_start_ms = clampll(onset, st->last_end_ms, now_ms(st));
            st->last_partial_at = st->samples;
        }
        if (st->in_utt && in_speech && st->samples - st->last_partial_at >= st->partial_every_samples) {
            st->last_partial_at = st->samples;
            emit_partial(st);
        }
        if (!in_speech && st->in_utt) {
            ps_end_utt(st->ps);
            emit_final(st);
            st->in_utt = 0;
            if (ps_start_utt(st->ps) < 0) {
                fprintf(stderr, "ps-stream: ps_start_utt failed\n");
                exit(3);
            }
        }
    }
}

static const char *opt_or_env(int argc, char **argv, const char *name, const char *env, const char *dflt) {
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    const char *e = getenv(env);
    return (e != NULL && e[0] != '\0') ? e : dflt;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    err_set_logfp(NULL);

    if (argc % 2 != 1 || argc > MAX_ARGS) {
        fprintf(stderr, "usage: ps-stream [-hmm DIR] [-lm FILE] [-dict FILE] [-partial_ms N] [-<pocketsphinx option> VALUE]...\n");
        return 2;
    }
    const char *hmm = opt_or_env(argc, argv, "-hmm", "PS_HMM", DEFAULT_HMM);
    const char *lm = opt_or_env(argc, argv, "-lm", "PS_LM", DEFAULT_LM);
    const char *dict = opt_or_env(argc, argv, "-dict", "PS_DICT", DEFAULT_DICT);
    int partial_ms = atoi(opt_or_env(argc, argv, "-partial_ms", "PS_PARTIAL_MS", "300"));
    if (partial_ms < 20) partial_ms = 20;
    if (access(hmm, R_OK) != 0 || access(lm, R_OK) != 0 || access(dict, R_OK) != 0) {
        fprintf(stderr, "ps-stream: model not readable (hmm=%s lm=%s dict=%s); install pocketsphinx-en-us or set PS_HMM/PS_LM/PS_DICT\n", hmm, lm, dict);
        return 2;
    }

    char *args[MAX_ARGS + 16];
    int na = 0;
    args[na++] = argv[0];
    args[na++] = "-hmm"; args[na++] = (char *)hmm;
    args[na++] = "-lm"; args[na++] = (char *)lm;
    args[na++] = "-dict"; args[na++] = (char *)dict;
    args[na++] = "-samprate"; args[na++] = "16000";
    args[na++] = "-logfn"; args[na++] = "/dev/null";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-hmm") == 0 || strcmp(argv[i], "-lm") == 0 || strcmp(argv[i], "-dict") == 0 ||
            strcmp(argv[i], "-partial_ms") == 0 || strcmp(argv[i], "-logfn") == 0 || strcmp(argv[i], "-samprate") == 0)
            continue;
        args[na++] = argv[i];
        args[na++] = argv[i + 1];
    }
    args[na] = NULL;

    cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), na, args, FALSE);
    if (config == NULL) {
        fprintf(stderr, "ps-stream: invalid pocketsphinx arguments\n");
        return 2;
    }
    ps_decoder_t *ps = ps_init(config);
    if (ps == NULL) {
        fprintf(stderr, "ps-stream: failed to initialise the decoder\n");
        cmd_ln_free_r(config);
        return 2;
    }

    stream_t st;
    memset(&st, 0, sizeof st);
    st.ps = ps;
    st.utt = 1;
    st.partial_every_samples = partial_ms * SAMPLES_PER_MS;
    st.startspeech_frames = cmd_ln_int32_r(config, "-vad_startspeech");

    if (ps_start_utt(ps) < 0) {
        fprintf(stderr, "ps-stream: ps_start_utt failed\n");
        return 3;
    }
    emit_raw("{\"type\":\"ready\"}\n");

    unsigned char buf[READ_BYTES + 2];
    size_t carry = 0;
    for (;;) {
        ssize_t r = read(STDIN_FILENO, buf + carry, READ_BYTES);
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "ps-stream: read failed: %s\n", strerror(errno));
            break;
        }
        if (r == 0) break;
        size_t have = carry + (size_t)r;
        size_t n = have / 2;
        int16 pcm[READ_BYTES / 2 + 1];
        for (size_t i = 0; i < n; ++i) /* little-endian regardless of host order */
            pcm[i] = (int16)(buf[2 * i] | (buf[2 * i + 1] << 8));
        process(&st, pcm, n);
        carry = have - n * 2;
        if (carry) buf[0] = buf[have - 1];
    }

    ps_end_utt(ps);
    if (st.in_utt) emit_final(&st);
    free(st.last_partial);
    emit_raw("{\"type\":\"eof\"}\n");
    ps_free(ps);
    cmd_ln_free_r(config);
    return 0;
}
