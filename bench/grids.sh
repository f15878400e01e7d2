# The bench's scales, sourced by bench/run.sh and bench/interleave.sh: the exit grid of
# each scale (tp x sl x trailing x hold, each the product of its axes), its number of
# entries and of cells.
grid() {
    case $1 in
    small | large-360) echo "--tp 0.75,1,1.5,2,3,4 --sl 0.5,1,1.5,2,3 --trailing off,1:0.5,1.5:1,0.5:1 --hold-hours 2,4,8" ;;
    medium) echo "--tp 0.5,0.75,1,1.5,2,2.5,3,4 --sl 0.5,0.75,1,1.5,2,3 --trailing off,1:0.5,1.5:0.75,2:1,0.5:1,1:1 --hold-hours 1,2,4,6,8" ;;
    large) echo "--tp 0.5,0.75,1,1.25,1.5,2,2.5,3,4,5 --sl 0.5,0.75,1,1.25,1.5,2,2.5,3,3.5,4 --trailing off,1:0.5,1.5:0.75,2:1,0.5:1 --hold-hours 1,2,3,4,6,8,10,12,16,24" ;;
    esac
}
count() { case $1 in small) echo 3000 ;; medium) echo 10000 ;; large | large-360) echo 30000 ;; esac; }
cells() { case $1 in small | large-360) echo 360 ;; medium) echo 1440 ;; large) echo 5000 ;; esac; }
