# ruff: noqa: E501 - checkin rows and history records are single long lines, as devices print them
"""Captures written for the report tests, in the formats devices print (checkin 36).

The sample app (uid 10150) runs two jobs, fires three wakeup alarms and holds a wakelock; a
sync adapter and a few wakelocks carry account names and e-mail addresses, which every report
file must redact unless asked not to.
"""

from __future__ import annotations

EMAILS = ("alice@example.com", "bob.smith@gmail.com", "carol+work@corp.example.org")

CHECKIN = """\
9,0,i,vers,36,214,AP1A.240305.019,AP1A.240305.019
9,hsp,0,10150,"dev.harness.sample/.SampleJobService"
9,hsp,1,10150,"*walarm*:dev.harness.sample.ALARM"
9,hsp,2,10160,"com.example.mail/com.example/alice@example.com"
9,hsp,3,10160,"*gms_scheduler*:bob.smith@gmail.com"
9,hsp,4,-1,"screen"
9,hsp,5,10150,"dev.harness.sample"
9,h,0:RESET:TIME:1700000000000
9,h,0,Bl=80,Bs=d,Bh=g,Bp=n,Bt=280,Bv=4060,Bcc=3200,Mrc=0,Wrc=0,+r,+w=4,+S
9,h,0,Etp=5
9,h,1000,+Ejb=0
9,h,2000,-Ejb=0
9,h,500,-S
9,h,0,-w
9,h,1000,di=light
9,h,1000,+Eal=1
9,h,0,-Eal=1
9,h,500,+Esy=2
9,h,100,+Ewl=3
9,h,400,-Ewl=3
9,h,500,-Esy=2
9,h,2000,di=full,Bl=79
9,h,3000,di=off,+Eal=1
9,h,0,-Eal=1
9,h,1000,+Ejb=0
9,h,1500,-Ejb=0,Bl=78
9,h,1000,+Eal=1
9,h,0,-Eal=1
9,0,i,uid,10150,dev.harness.sample
9,0,i,uid,10160,com.example.mail
9,0,i,dsd,3000,78,s-,p-,
9,0,l,bt,0,16000,9000,16000,9000,1700000000000,12500,6000,4000,4000000,4000000,0
9,0,l,gn,0,0,0,0,0,0,0,0,0,0
9,0,l,m,3500,0,0,2000,0,0,3500,0,0,3000,1,8000,1,0,0,2000,1,2000,1,2000,3000
9,0,l,dc,2,2,0,2,80,80,0,0,40,40
9,0,l,pws,4000,1.5,80,80
9,0,l,pwi,scrn,0.146,1,0,0
9,0,l,pwi,cpu,0.0139,0,0,0
9,0,l,pwi,idle,0.05,1,0,0
9,10150,l,pwi,uid,0.0125,0,0,0.0125
9,10160,l,pwi,uid,0.00139,0,0,0.00139
9,10150,l,wl,*job*/dev.harness.sample/.SampleJobService,0,f,0,0,0,0,2000,p,2,0,2000,3500,2000,bp,2,0,2000,3500,0,w,0,0,0,0
9,10150,l,jb,"dev.harness.sample/.SampleJobService",3500,2,3500,2
9,10150,l,jbc,"dev.harness.sample/.SampleJobService",0,0,0,0,0,0,0,0,0,0,0,2,0,0
9,10150,l,cpu,245,105,0
9,10150,l,wua,*walarm*:dev.harness.sample.ALARM,3
9,10150,l,apk,3,dev.harness.sample,dev.harness.sample.SampleJobService,3500,0,2
9,10160,l,awl,400,400
9,10160,l,wl,*sync*/com.example.mail/com.example/alice@example.com,0,f,0,0,0,0,400,p,1,0,400,400,400,bp,1,0,400,400,0,w,0,0,0,0
9,10160,l,wl,*gms_scheduler*:bob.smith@gmail.com,0,f,0,0,0,0,100,p,1,0,100,100,100,bp,1,0,100,100,0,w,0,0,0,0
9,10160,l,sy,"com.example.mail/com.example/alice@example.com",500,1,500,1
9,10160,l,jb,"com.example.mail/.Sync:carol+work@corp.example.org",100,1,100,1
9,10160,l,wua,*walarm*:com.example.mail.POLL carol+work@corp.example.org,1
"""

HISTORY_TEXT = """\
Battery History (0% used, 1200 used of 4096KB, 6 strings using 300):
                    0 (3) RESET:TIME: 2023-11-14-22-13-20
                    0 (2) 080 status=discharging health=good plug=none temp=280 volt=4060 charge=3200 +running +wake_lock=-1:"screen" +screen
                    0 (2) 080 top=u0a150:"dev.harness.sample"
               +1s000ms (3) 080 +job=u0a150:"dev.harness.sample/.SampleJobService"
               +3s000ms (3) 080 -job=u0a150:"dev.harness.sample/.SampleJobService"
               +3s500ms (2) 080 -screen -running -wake_lock
               +5s000ms (3) 080 +sync=u0a160:"com.example.mail/com.example/alice@example.com"
               +5s100ms (3) 080 +wake_lock_in=u0a160:"*gms_scheduler*:bob.smith@gmail.com"
               +5s500ms (3) 080 -wake_lock_in=u0a160:"*gms_scheduler*:bob.smith@gmail.com"
               +6s000ms (3) 079 -sync=u0a160:"com.example.mail/com.example/alice@example.com"

"""


def bugreport(checkin: str = CHECKIN, text: str = HISTORY_TEXT) -> str:
    return (
        "========================================================\n"
        "== dumpstate: 2023-11-14 22:20:00\n"
        "========================================================\n"
        "------ SYSTEM PROPERTIES (getprop) ------\n[ro.build.version.sdk]: [34]\n"
        "-------------------------------------------------------------------------------\n"
        f"DUMP OF SERVICE batterystats:\n{text.rstrip()}\n"
        "--------- 0.173s was the duration of dumpsys batterystats, ending at: 2023-11-14\n"
        "------ CHECKIN BATTERYSTATS (/system/bin/dumpsys -T 30000 batterystats -c) ------\n"
        f"{checkin}------ 0.202s was the duration of 'CHECKIN BATTERYSTATS' ------\n"
    )
