#!/bin/bash
# issue 12: more seeds for chapter 6's bf16 quality check, three at a time, until the deadline;
# the full-size Smiley run is paused meanwhile and continued at the end
cd /work/main
deadline=$(date -d "${1:-07:35}" +%s)
pg=$(ps -o pgid= -p $(pgrep -f 'study authors' | head -1) | tr -d ' ')
[ -n "$pg" ] && kill -STOP -$pg && echo "$(date -u +%FT%TZ) pause bf16 quality campaign" >> logs/full-smiley-pauses.txt
for a in $(seq 9 3 200); do
  b=$((a+1)); c=$((a+2))
  out=results/grouped-chapter6-check-bf16-zen5-seeds$a-$c.txt
  [ -f $out ] && continue
  if [ $(( $(date +%s) + 430 )) -gt $deadline ]; then echo "deadline: stop before seeds $a-$c"; break; fi
  echo "$(date -u +%T) seeds $a $b $c"
  .venv/bin/python research/grouped_chapter6_check.py --precision bf16 --keep-denormals --seeds $a $b $c > $out.tmp 2>> logs/bf16-campaign.err && mv $out.tmp $out
  head -2 $out
done
[ -n "$pg" ] && kill -CONT -$pg && echo "$(date -u +%FT%TZ) continue" >> logs/full-smiley-pauses.txt
echo "campaign done $(date -u +%T)"
