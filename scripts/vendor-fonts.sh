#!/bin/sh
# Re-vendor the PDF fonts from the npm registry into static/vendor/ (see static/vendor/README.md):
# DejaVu Sans (regular, bold, oblique), Noto Sans SC (regular) and Noto Emoji (regular), each with its
# licence. Change a version here, run this, then run tests/test_pdf_unicode.py and bench/bench_pdf.py.
set -eu
DEJAVU=dejavu-fonts-ttf@2.37.3
NOTO_SC=@expo-google-fonts/noto-sans-sc@0.4.3
NOTO_EMOJI=@expo-google-fonts/noto-emoji@0.4.7

cd "$(dirname "$0")/.."
vendor=static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unpack() {  # unpack PACKAGE@VERSION into $tmp/NAME, the package's files at its top
    (cd "$tmp" && npm pack --silent "$2" >"$1.name")
    mkdir "$tmp/$1"
    tar -xzf "$tmp/$(cat "$tmp/$1.name")" -C "$tmp/$1" --strip-components=1
}

unpack dejavu "$DEJAVU"
unpack noto-sans-sc "$NOTO_SC"
unpack noto-emoji "$NOTO_EMOJI"

mkdir -p "$vendor/dejavu-fonts-ttf" "$vendor/noto-sans-sc" "$vendor/noto-emoji"
cp "$tmp/dejavu/ttf/DejaVuSans.ttf" "$tmp/dejavu/ttf/DejaVuSans-Bold.ttf" "$tmp/dejavu/ttf/DejaVuSans-Oblique.ttf" \
   "$tmp/dejavu/LICENSE" "$vendor/dejavu-fonts-ttf/"
cp "$tmp/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf" "$tmp/noto-sans-sc/LICENSE_FONT" "$vendor/noto-sans-sc/"
cp "$tmp/noto-emoji/400Regular/NotoEmoji_400Regular.ttf" "$tmp/noto-emoji/LICENSE_FONT" "$vendor/noto-emoji/"
echo "Vendored $DEJAVU, $NOTO_SC and $NOTO_EMOJI into $vendor/:"
(cd "$vendor" && sha256sum dejavu-fonts-ttf/*.ttf noto-sans-sc/*.ttf noto-emoji/*.ttf)
