# ruff: noqa: E501 - history records are single long lines, as devices print them
"""Small batterystats dumps written for these tests, in the exact formats devices print.

The values are invented; the layouts follow AOSP ``BatteryStats.dumpCheckinLocked`` and
``HistoryPrinter`` for the checkin versions named in each fixture.
"""

from __future__ import annotations

# Android 14 layout (checkin 36): background-partial wakelock block, v29 process-state order,
# 12 job stop reasons, quoted names with commas, an unknown section and an appended field.
CHECKIN_V36 = """\
9,0,i,vers,36,214,AP1A.240305.019,AP2A.240805.005
9,0,i,uid,1000,android
9,0,i,uid,10123,com.example.app
9,0,i,uid,10123,com.example.shared
9,0,i,dsd,60000,95,s-,p-,i+
9,0,i,dsd,120000,96,s+,p-,i-
9,0,i,csd,30000,97,,p+,
9,0,i,dtr,3600000000
9,0,l,bt,1,7200000,3600000,7300000,3650000,1732816430344,5000000,2000000,4500,4400000,4600000,120000
9,0,l,gn,100,200,300,400,5,6,7,8,9,10
9,0,l,gwfl,7000000,6900000,0,0,0
9,0,l,m,2200000,0,0,400000,50000,40000,2100000,0,3,3000000,2,3100000,2,7,1000,500000,4,520000,4,90000,1500000
9,0,l,br,1000,2000,3000,4000,5000
9,0,l,sgt,100,200,300,400,500
9,0,l,sgc,1,2,3,4,5
9,0,l,dct,0,0,0,0,0,0,0,0,0,0,0,0,0,7000,0,0,0,0,0,0,200,0,0
9,0,l,dcc,0,0,0,0,0,0,0,0,0,0,0,0,0,3,0,0,0,0,0,0,1,0,0
9,0,l,dc,5,6,2,3,250.5,180.25,1,12.5,30.0,60.0
9,0,l,kwl,"qcom,smd-rpm:222:fc4cf000.qcom,spmi",1500,12,-1,-1
9,0,l,wr,"Abort: pm suspend",20,2
9,0,l,pws,4500,230,200,260
9,0,l,pwi,scrn,80.5,1,0,0
9,10123,l,pwi,uid,42.25,0,1.5,3.75
9,0,l,gcf,300000,1200000
9,0,l,xyz,1,2,3
9,1000,l,wl,*alarm*,0,f,0,-1,-1,-1,350,p,14,0,60,400,100,bp,3,0,20,120,0,w,0,-1,-1,-1
9,10123,l,awl,5000,1200
9,10123,l,wl,*sync*/com.example.provider/com.example/alice@example.com,0,f,0,-1,-1,-1,900,p,2,0,700,950,0,bp,0,0,0,0,0,w,0,-1,-1,-1
9,10123,l,sy,"com.example.provider/com.example/alice@example.com",950,2,900,2
9,10123,l,jb,"com.example.app/.SyncJob",4200,3,4000,2
9,10123,l,jbc,"com.example.app/.SyncJob",0,1,0,0,2,0,0,0,0,0,0,3
9,10123,l,jbd,1,2,3000,1,0,0,0,1
9,10123,l,fgs,60000,1
9,10123,l,st,1000,2000,3000,4000,5000,6000,7000
9,10123,l,cpu,5200,1300,0,99
9,10123,l,ctf,A,2,100,200,10,20
9,10123,l,nt,1,2,3,4,5,6,7,8,2500000,3,0,0,4,5,0,0,0,0,0,0,0,0
9,10123,l,pr,"com.example.app:remote",300,200,100,2,0,1
9,10123,l,wua,*walarm*:com.example.app.TICK,7
9,10123,l,wua,*walarm*:com.example.app.SYNC,2
9,10123,l,apk,9,com.example.app,com.example.app.SyncService,1200,3,3
9,1010123,l,cpu,10,20,0
"""

# Android 7.1 layout (checkin 20): wakelock blocks without total, no bp block, unquoted job
# names, the v17 process-state order, two-field pwi, 14-field nt, legacy c/u categories.
CHECKIN_V20 = """\
9,0,i,vers,20,151,N2G47H,N2G47H
9,0,l,bt,0,11483466,10494123,11483462,10494119,1572923806671,4390879,3401542,3000
9,0,l,m,7092587,53943,5088918,876011,8944630,60,7089327,0,8,0,0,0,0,80,36968,0,0,0,0,0,0
9,0,l,dc,44,45,32,13,0,0
9,0,l,dct,1856816,0,0,0,0,0,0,0,0,0,0,0,0,9401207,0,0,225443
9,0,l,pwi,unacc,776
9,1000,l,wl,ProcessTrace,0,f,0,-1,-1,1663,p,29,0,87,0,w,0,-1,-1
9,1000,l,jb,com.vivo.abe/com.vivo.TrainJobService,71,1
9,1000,l,st,0,0,0,0,0,11483466
9,10057,l,nt,409852,142933,161185,24332,3062,1946,507,424,772089916,102,0,0,0,0
9,10057,l,wfl,0,2645000,0,7,0,0,0
9,0,c,bt,0,1,1,1,1,1,1,1,1
9,0,u,bt,0,1,1,1,1,1,1,1,1
"""

# Android 5.1 layout (checkin 12): misc line with the legacy radio and network fields.
CHECKIN_V12 = """\
9,0,i,vers,12,116,LMY47D,LMY47D
9,0,l,bt,0,500000,400000,600000,450000,1422620444417,300000,250000
9,0,l,m,120000,0,300000,290000,0,1000,2000,3000,4000,0,50000,0,7000,6000,110000,0
"""

# Checkin history: pool with an escaped quote, reset, a job pair, a sync open at the end,
# Doze, a wakelock tag, a clock change, a reboot and step details.
CHECKIN_HISTORY = """\
9,0,i,vers,36,214,AP1A.240305.019,AP2A.240805.005
9,hsp,0,10123,"com.example.app/.SyncJob"
9,hsp,1,1000,"*alarm*"
9,hsp,2,10123,"com.example.provider/com.example/alice@example.com"
9,hsp,3,0,"qcom,smd-rpm:say \\"hi\\""
9,h,0:RESET:TIME:1700000000000
9,h,0,Bl=100,Bs=d,Bh=g,Bp=n,Bt=251,Bv=4395,Bcc=4263,+r,+w=1,+S,Pss=4,Wsp=compl
9,h,1000,+Ejb=0
9,h,0,Dcpu=100:50/10123:40:10
9,h,0,Dpst=1,2,3,4,5,6,state_1 name=XO time=0 count=0
9,h,2000,-Ejb=0,-S
9,h,500,Bl=99,di=light,-w,wr=3
9,h,1500,di=full,+Esy=2
9,h,1000,-Ejb=0,Etw=9
9,h,3000:TIME:1700000100000
9,h,1000,di=off,Bl=98
9,h,500:SHUTDOWN
9,h,0:START
9,h,0,Bl=98,Bs=c,Bp=u,+r,+BP,+ch,+S
9,h,4000,Bl=99
"""

# The same kind of history in text form (dumpsys batterystats --history), with the hex state
# word printed by --verbose, a quoted tag with spaces, UID formats and step details.
TEXT_HISTORY = """\
Battery History (1% used, 1200 used of 512KB, 4 strings using 200):
                    0 (9) RESET:TIME: 2023-11-14-22-13-20
                    0 (2) 100 c4100020 status=discharging health=good plug=none temp=251 volt=4395 charge=4263 +running +wake_lock=1000:"*alarm*" +screen phone_signal_strength=great wifi_suppl=completed
                    0 (2) 100 c4100020 top=u0a123:"com.example.app"
               +1s000ms (2) 100 c4100020 +job=u0a123:"com.example.app/.SyncJob"
                 Details: cpu=100u+50s (u0a123=40u+10s)
                 /proc/stat=1 usr, 2 sys, 3 io, 4 irq, 5 sirq, 6 idle (15.0% of 60ms), SubsystemPowerState Empty
               +3s000ms (2) 100 c0100020 -job=u0a123:"com.example.app/.SyncJob" -screen
               +3s500ms (3) 099 80100020 device_idle=light -wake_lock wake_reason=0:"Abort: pm suspend"
               +5s000ms (2) 099 80100020 device_idle=full +sync=u10a123:"com.example.provider/com.example/alice@example.com"
               +6s000ms (2) 099 80100020 tmpwhitelist=u0i5:"broadcast"
               +9s000ms (3) TIME: 2023-11-14-22-15-00
            +1m00s000ms (2) 098 80100020 device_idle=off
        +1h02m03s004ms (1) 098 80100020 current=12 +wifi_ap
     +1d00h00m00s000ms (2) SHUTDOWN
     +1d00h00m00s000ms (2) START
     +1d00h00m00s000ms (4) 098 c0100020 status=charging plug=usb +running +plugged +charging +screen

Per-PID Stats:
  PID 0 wake time: +1s741ms
"""

BUGREPORT = """\
========================================================
== dumpstate: 2024-01-02 03:04:05
========================================================
------ SYSTEM PROPERTIES (getprop) ------
[ro.build.version.sdk]: [34]
------ 0.010s was the duration of 'SYSTEM PROPERTIES' ------
DUMP OF SERVICE batteryproperties:
--------- 0.002s was the duration of dumpsys batteryproperties, ending at: 2024-01-02 03:04:06
-------------------------------------------------------------------------------
DUMP OF SERVICE batterystats:
{text}
--------- 0.173s was the duration of dumpsys batterystats, ending at: 2024-01-02 03:04:06
-------------------------------------------------------------------------------
DUMP OF SERVICE bluetooth_manager:
Bluetooth Status
------ 9.760s was the duration of 'DUMPSYS' ------
------ CHECKIN BATTERYSTATS (/system/bin/dumpsys -T 30000 batterystats -c) ------
{checkin}------ 0.202s was the duration of 'CHECKIN BATTERYSTATS' ------
------ CHECKIN MEMINFO (/system/bin/dumpsys -T 30000 meminfo --checkin) ------
time,12345,67890
"""


def bugreport(text: str = TEXT_HISTORY, checkin: str = CHECKIN_V36 + CHECKIN_HISTORY) -> str:
    return BUGREPORT.format(text=text.rstrip("\n"), checkin=checkin)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")
