globalThis.C = { f0v:0,f1v:0,f2v:0,"f0-":0,"f1-":0,"f2-":0,rlv:0,rlg:0,rlu:0 };
import { findNetworkClass } from '@streamloop/playback-model/network-classes';
import { simulateSession } from '@streamloop/playback-model/player-model';
import { generateSyntheticTrace } from '@streamloop/playback-model/synthetic-trace';
const rungs = [[400_000,426,240,175_000],[800_000,640,360,350_000],[2_500_000,1280,720,1_100_000],[5_000_000,1920,1080,2_200_000]].map(([bandwidth,width,height,bytes])=>({bandwidth,width,height,segments:Array.from({length:150},(_,i)=>({durationSec:4,bytes:Math.round(bytes*(0.8+(0.4*((i*7919)%101))/100))}))}));
const classes = ['3g','lte','fixed-fcc-2016','wifi-oboe','puffer-2022'].map(findNetworkClass);
const traces = Array.from({length:1000},(_,i)=>generateSyntheticTrace(classes[i%5],{seed:i,durationSec:600}));
const ladder = { rungs, audio: { segments: Array.from({ length: 150 }, () => ({ durationSec: 4, bytes: 64_000 })) } };
let ev=0, req=0;
for (let i=0;i<1000;i++) { const o = simulateSession({ladder,trace:traces[i%1000],viewport:{width:1280,height:720},watch:{},ladderChecked:true}); ev+=o.events.length; req+=o.requestCount; }
console.log(Object.fromEntries(Object.entries(globalThis.C).map(([k,v])=>[k,v/1000])), ev/1000, req/1000);
