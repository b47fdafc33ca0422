#!/usr/bin/env bash
# Regenerates meeting.wav and meeting.json from script.txt with flite and sox.
#   meeting.wav : stereo, 16-bit, 16 kHz; left channel = Alice's track, right = Bob's.
#                 Each speaker is silent (room tone only) while the other talks; GAP_S
#                 seconds between lines.
#   meeting.json: participants (id, speaker label, channel) and the reference text per speaker.
# Voices: ALICE_VOICE (default slt) and BOB_VOICE (default rms), chosen for the lowest
# pocketsphinx word error rate (see README in services/transcription).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALICE_VOICE="${ALICE_VOICE:-slt}"
BOB_VOICE="${BOB_VOICE:-rms}"
GAP_S="${GAP_S:-0.6}"
LEAD_S="${LEAD_S:-0.5}"
# Room tone: white noise this loud (linear, 0.0005 ~ -66 dBFS) under each channel. Digital
# silence (all-zero samples) is not what a microphone produces and throws pocketsphinx's
# voice activity detection and live cepstral mean normalization off.
NOISE_VOL="${NOISE_VOL:-0.0005}"
OUT_WAV="${OUT_WAV:-$here/meeting.wav}"
OUT_JSON="${OUT_JSON:-$here/meeting.json}"
RATE=16000
# No dither anywhere: sox dithers by default when it reduces precision, which makes output random.
export SOX_OPTS="-D"

for tool in flite sox soxi node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "generate.sh: $tool is required" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

silence() { # silence <seconds> <out.wav>
  sox -n -r "$RATE" -c 1 -b 16 -e signed-integer "$2" trim 0 "$1"
}

silence "$LEAD_S" "$work/lead.wav"
silence "$GAP_S" "$work/gap.wav"
left=("$work/lead.wav")
right=("$work/lead.wav")
lines_json="$work/lines.jsonl"
: >"$lines_json"
t=$LEAD_S
i=0
while IFS= read -r line || [[ -n "$line" ]]; do
  [[ -z "${line// }" ]] && continue
  speaker="${line%%:*}"
  text="${line#*:}"
  text="${text# }"
  case "$speaker" in
    Alice) voice="$ALICE_VOICE" ;;
    Bob) voice="$BOB_VOICE" ;;
    *) echo "generate.sh: unknown speaker '$speaker'" >&2; exit 1 ;;
  esac
  i=$((i + 1))
  raw="$work/raw-$i.wav"
  speech="$work/speech-$i.wav"
  quiet="$work/quiet-$i.wav"
  flite -voice "$voice" -t "$text" -o "$raw"
  sox -D "$raw" -r "$RATE" -c 1 -b 16 -e signed-integer "$speech"
  dur="$(soxi -D "$speech")"
  silence "$dur" "$quiet"
  if [[ "$speaker" == Alice ]]; then
    left+=("$speech" "$work/gap.wav"); right+=("$quiet" "$work/gap.wav")
  else
    left+=("$quiet" "$work/gap.wav"); right+=("$speech" "$work/gap.wav")
  fi
  start_ms="$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')"
  t="$(awk -v t="$t" -v d="$dur" -v g="$GAP_S" 'BEGIN { printf "%.4f", t + d + g }')"
  end_ms="$(awk -v s="$start_ms" -v d="$dur" 'BEGIN { printf "%d", s + d * 1000 }')"
  SPEAKER="$speaker" TEXT="$text" START="$start_ms" END="$end_ms" node -e \
    'process.stdout.write(JSON.stringify({speaker:process.env.SPEAKER,text:process.env.TEXT,startMs:+process.env.START,endMs:+process.env.END})+"\n")' >>"$lines_json"
done <"$here/script.txt"

sox -D "${left[@]}" "$work/left.wav"
sox -D "${right[@]}" "$work/right.wav"
for side in left right; do
  len="$(soxi -D "$work/$side.wav")"
  # Deterministic white noise (fixed-seed LCG) so that regenerating gives the same file.
  LEN="$len" VOL="$NOISE_VOL" SEED="$([[ $side == left ]] && echo 1 || echo 2)" node -e '
    const n = Math.round(Number(process.env.LEN) * 16000), amp = Number(process.env.VOL) * 32767;
    const out = Buffer.alloc(n * 2); let x = Number(process.env.SEED) >>> 0;
    for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; out.writeInt16LE(Math.round(((x / 4294967296) * 2 - 1) * amp), i * 2); }
    process.stdout.write(out);' >"$work/noise-$side.raw"
  sox -t raw -r "$RATE" -c 1 -b 16 -e signed-integer -L "$work/noise-$side.raw" "$work/noise-$side.wav"
  sox -D -m -v 1 "$work/$side.wav" -v 1 "$work/noise-$side.wav" "$work/$side-tone.wav"
done
sox -D -M "$work/left-tone.wav" "$work/right-tone.wav" -b 16 -e signed-integer "$OUT_WAV"
total_ms="$(awk -v d="$(soxi -D "$OUT_WAV")" 'BEGIN { printf "%d", d * 1000 }')"

WAV="$OUT_WAV" LINES="$lines_json" TOTAL="$total_ms" AV="$ALICE_VOICE" BV="$BOB_VOICE" node -e '
const fs = require("fs");
const lines = fs.readFileSync(process.env.LINES, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const people = [
  { id: "alice", speakerLabel: "Alice", channel: 0, voice: process.env.AV },
  { id: "bob", speakerLabel: "Bob", channel: 1, voice: process.env.BV },
];
const doc = {
  title: "Weekly planning",
  audio: { file: require("path").basename(process.env.WAV), sampleRateHz: 16000, channels: 2, bitsPerSample: 16, durationMs: +process.env.TOTAL },
  participants: people.map((p) => ({ ...p, referenceText: lines.filter((l) => l.speaker === p.speakerLabel).map((l) => l.text).join(" ") })),
  lines: lines.map((l) => ({ participantId: l.speaker.toLowerCase(), text: l.text, startMs: l.startMs, endMs: l.endMs })),
};
fs.writeFileSync(process.argv[1], JSON.stringify(doc, null, 2) + "\n");
' "$OUT_JSON"
echo "wrote $OUT_WAV ($total_ms ms) and $OUT_JSON"
