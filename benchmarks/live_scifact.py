#!/usr/bin/env python3
"""Builds a live SciFact index over HTTP with the xtr first stage maintained, then evaluates
maxsim-exact and xtr+maxsim on the 300 test queries (nDCG@10).

Run a server first:  LATTE_API_KEY=k ./latte serve --data /tmp/live-sf --port 18779
then:                python3 benchmarks/live_scifact.py   (reads ../shared/datasets/scifact)

The nDCG@10 here is trec_eval's (gain 2^rel - 1, log2 discount, ideal from the qrels); on the run
files `./latte eval` writes it gives the Java evaluator's figures to 4 decimals (maxsim-exact 0.7326,
bm25 0.6789, xtr+maxsim 0.7343 on the cached index). Standard library only.
"""
import json, urllib.request, time, math, statistics, sys
BASE="http://127.0.0.1:18779"
def req(method,path,body=None,timeout=900):
    r=urllib.request.Request(BASE+path,method=method,data=None if body is None else json.dumps(body).encode(),headers={"Authorization":"Bearer k","Content-Type":"application/json"})
    with urllib.request.urlopen(r,timeout=timeout) as resp: return json.loads(resp.read())
import os
D=os.environ.get('SCIFACT', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'datasets', 'scifact'))+'/'
docs=[json.loads(l) for l in open(D+'corpus.jsonl')]
docs=[{"id":d["_id"],"title":d.get("title",""),"text":d["text"] or d.get("title","")} for d in docs]
queries={}
for l in open(D+'queries.jsonl'):
    q=json.loads(l); queries[q["_id"]]=q["text"]
qrels={}
for i,l in enumerate(open(D+'qrels/test.tsv')):
    if i==0: continue
    qid,did,s=l.strip().split('\t'); qrels.setdefault(qid,{})[did]=int(s)
req("POST","/v1/indexes",{"name":"scifact","first_stages":["xtr"],"train_after_documents":1000})
t0=time.time(); sync=[]; took=[]
for b in range(0,len(docs),64):
    r=req("POST","/v1/indexes/scifact/documents",docs[b:b+64])
    took.append(r["took_ms"]); 
    if "first_stages_ms" in r: sync.append(r["first_stages_ms"])
print(f"indexed {len(docs)} in {time.time()-t0:.0f} s; batches {len(took)}; write p50 {statistics.median(took):.0f} ms; first-stage sync p50 {statistics.median(sync):.0f} ms p95 {sorted(sync)[int(0.95*len(sync))]:.0f} ms over {len(sync)} batches", flush=True)
while True:
    st=req("GET","/v1/indexes/scifact")["first_stages"]["xtr"]
    if st["state"]=="ready": break
    time.sleep(2)
print("xtr state", st, flush=True)
def ndcg10(ranked, rel):
    dcg=sum((2**rel.get(d,0)-1)/math.log2(i+2) for i,d in enumerate(ranked[:10]))
    ideal=sorted(rel.values(),reverse=True)[:10]
    idcg=sum((2**g-1)/math.log2(i+2) for i,g in enumerate(ideal))
    return dcg/idcg if idcg>0 else 0
for method in ["maxsim-exact","xtr+maxsim"]:
    scores=[]; lat=[]
    for qid,rel in qrels.items():
        r=req("POST","/v1/indexes/scifact/search",{"query":queries[qid],"k":10,"method":method,"include":[]})
        lat.append(r["took_ms"]); scores.append(ndcg10([h["docid"] for h in r["hits"]],rel))
    print(f"{method}: nDCG@10 {sum(scores)/len(scores):.4f} over {len(scores)} queries; server took_ms p50 {statistics.median(lat):.1f}", flush=True)
