#!/usr/bin/env bash
# Browser test of the HTML report: renders the CDNOW report in headless Chromium (Debian
# package `chromium`, installed when missing), asserts that the page logs no console message
# and that every chart area of the screenshot is non-blank, and saves the screenshot.
#
#   .ci/browser.sh [OUT_DIR]        (default target/browser; writes report.html, report.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/browser}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium"
  if [ "$(id -u)" = 0 ]; then apt-get install -y chromium >/dev/null; else sudo apt-get install -y chromium >/dev/null; fi
fi

echo "== browser: the HTML report of data/CDNOW_sample.txt in headless Chromium"
cargo run --quiet --release --features report --example report -- \
  --transactions data/CDNOW_sample.txt --calibration-end 1997-09-30 --holdout-end 1998-06-30 \
  --cost-per-unit 5 --title "CDNOW sample: customer base report" --out "$out/report.html"

width=1200
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile/$1" --hide-scrollbars --force-device-scale-factor=1 \
    "${@:2}"
}

echo "== layout: where the charts are"
# a copy of the page with a probe that writes the chart boxes into the DOM (the report itself
# has no script)
sed 's#</body>#<script>var b=[...document.querySelectorAll("figure.chart")].map(function(f){var r=f.getBoundingClientRect();return [f.id,Math.round(r.left+scrollX),Math.round(r.top+scrollY),Math.round(r.width),Math.round(r.height)]});var p=document.createElement("pre");p.id="boxes";p.textContent=JSON.stringify({height:document.documentElement.scrollHeight,boxes:b});document.body.appendChild(p);</script></body>#' \
  "$out/report.html" > "$out/probe.html"
chrome probe --window-size=$width,900 --dump-dom "file://$out/probe.html" 2>/dev/null \
  | sed -n 's#.*<pre id="boxes">\(.*\)</pre>.*#\1#p' > "$out/boxes.json"
height=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["height"])' "$out/boxes.json")

echo "== screenshot ${width}x${height}"
chrome shot --window-size=$width,"$height" --enable-logging=stderr --v=0 \
  --screenshot="$out/report.png" "file://$out/report.html" 2> "$out/chromium.log" || {
  cat "$out/chromium.log"; exit 1; }
if grep -E 'CONSOLE|Uncaught|Failed to load|ERR_' "$out/chromium.log"; then
  echo "console messages or failed loads in the page (above)"
  exit 1
fi

echo "== every chart area is non-blank"
python3 - "$out/report.png" "$out/boxes.json" <<'PY'
import json, struct, sys, zlib

def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    m7 = int.from_bytes(b"\x7f" * stride, "big")
    m8 = int.from_bytes(b"\x80" * stride, "big")
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            # bytewise (line + prev) mod 256 on whole rows at once
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = bytearray((((a & m7) + (b & m7)) ^ ((a ^ b) & m8)).to_bytes(stride, "big"))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

png, boxes = sys.argv[1], json.load(open(sys.argv[2]))
w, h, bpp, rows = read_png(png)
print(f"screenshot {w}x{h}, {len(boxes['boxes'])} charts")
assert len(boxes["boxes"]) >= 15, "expected at least 15 charts"
bad = []
for name, x, y, bw, bh in boxes["boxes"]:
    assert bw > 100 and bh > 100, f"{name}: box {bw}x{bh}"
    assert y + bh <= h and x + bw <= w, f"{name}: outside the screenshot"
    ink, colour_ink, colours = 0, 0, set()
    for yy in range(y + 4, y + bh - 4, 2):
        line = rows[yy]
        for xx in range(x + 4, x + bw - 4, 2):
            px = line[xx * bpp:xx * bpp + 3]
            if px != b"\xff\xff\xff":
                ink += 1
                if max(px) - min(px) > 40:  # a data colour, not grey text or grid
                    colour_ink += 1
                if len(colours) < 64:
                    colours.add(px)
    cells = ((bh - 8) // 2) * ((bw - 8) // 2)
    share, coloured = ink / cells, colour_ink / cells
    print(f"  {name}: {bw}x{bh} at ({x},{y}), {share:.1%} ink, {coloured:.2%} coloured")
    if share < 0.01 or coloured < 0.002 or len(colours) < 3:
        bad.append(name)
assert not bad, f"blank chart areas: {bad}"
PY
echo "browser check passed: $out/report.png"
