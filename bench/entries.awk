# Deterministic bench entries from one kline CSV file (open_time_ms,open,... with a
# header): every bar from the 21st to the second-to-last gets a pseudo-random key and a
# direction from a Park-Miller stream seeded per file (exact in awk's doubles). run.sh
# keeps the N smallest keys over all files and sorts them by time. No Python needed.
#   awk -v seed=S -v sym=BTCUSDT -f entries.awk BTCUSDT-15m.csv  ->  key,symbol,time_ms,direction
BEGIN { FS = ","; state = seed; for (w = 0; w < 20; w++) draw() }
function draw() { state = (state * 16807) % 2147483647; return state }
NR > 1 { t[NR - 2] = $1 }
END {
    rows = NR - 1
    for (i = 20; i < rows - 1; i++) {
        k = draw()
        d = (draw() % 2 == 0) ? "long" : "short"
        printf "%d,%s,%s,%s\n", k, sym, t[i], d
    }
}
