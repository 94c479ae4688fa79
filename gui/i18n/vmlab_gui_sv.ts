<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="sv_SE">
<context>
    <name>AppOptions</name>
    <message>
        <location filename="../app_options.cpp" line="11"/>
        <source>usage: vmlab-gui [options]

The vmlab window: run the guest OS in any mode and watch its traps, VM exits,
hypercalls and translations on a timeline; open what `vmlab run --out DIR --trace`
wrote; compare the modes from `vmlab compare --format json`.

options:
  --open PATH          a run directory (config.json, stats.json, trace.jsonl or
                       trace.json, or their .gz from --trace-gzip), a trace
                       file on its own (trace.jsonl, trace.json, either .gz), or
                       the folder of a `vmlab sweep --out DIR` (the Compare view)
  --compare FILE       vmlab compare --format json output for the Compare view
  --align PATH         a second run directory (or trace) whose timeline the Aligned
                       view shows below the first run&apos;s, on the same time axis
  --align-upper PATH   a run for the Aligned view&apos;s upper row (default: the run
                       the other views show)
  --run                start the guest live (with --mode, --append, --profile, --kernel)
  --mode MODE          native, trap, trap-npt, trap-classic, bt, pv (default native)
  --append CMDLINE     the kernel command line, e.g. &quot;run=syscall iters=100&quot;
  --profile NAME       cost profile (default native-1c)
  --kernel FILE        the guest image (default: the guest OS built with vmlab)
  --cpu-mhz MHZ        with --run: the modeled clock for the timers (default 1000)
  --view VIEW          timeline, events, counters, compare, run, code, memory,
                       aligned, migration or screen
  --instructions N     with --run: run N instructions, then pause
  --steps N            with --run: then press Step N times (N guest instructions)
  --screenshot FILE    render the view into FILE (PNG) and exit; with --run, after
                       the guest stops
  --select N           select event N (its row in the table, from 0)
  --memory-show WHICH  the memory view&apos;s rows: all, differing (the hardware maps
                       them differently) or user (the guest&apos;s U bit)
  --goto ADDR          the memory view starts at linear address ADDR (hex)
  --breakdown UNIT     the compare view&apos;s breakdown in events (default) or cycles
  --breakdown-of W     the compare view&apos;s breakdown of workload W
  --sweep-set N        an opened sweep&apos;s profile and cost set N (from 0, as listed)
  --size WxH           window size (default 1280x820)
  --lang LANG          en or sv
  -h, --help           this text
</source>
        <translation>användning: vmlab-gui [flaggor]

vmlab-fönstret: kör gäst-OS:et i valfritt läge och se dess fällor, VM-utgångar,
hyperanrop och översättningar på en tidslinje; öppna vad `vmlab run --out DIR --trace`
skrev; jämför lägena från `vmlab compare --format json`.

flaggor:
  --open SÖKVÄG        en körkatalog (config.json, stats.json, trace.jsonl eller
                       trace.json, eller deras .gz från --trace-gzip), en
                       spårfil för sig (trace.jsonl, trace.json, endera .gz) eller
                       mappen från en `vmlab sweep --out DIR` (vyn Jämför)
  --compare FIL        utdata från vmlab compare --format json för vyn Jämför
  --align SÖKVÄG       en andra körkatalog (eller spårfil) vars tidslinje vyn Två
                       körningar visar under den förstas, på samma tidsaxel
  --align-upper SÖKVÄG en körning för vyn Två körningars övre rad (standard: den
                       körning de andra vyerna visar)
  --run                starta gästen live (med --mode, --append, --profile, --kernel)
  --mode LÄGE          native, trap, trap-npt, trap-classic, bt, pv (standard native)
  --append KOMMANDORAD kärnans kommandorad, t.ex. &quot;run=syscall iters=100&quot;
  --profile NAMN       kostnadsprofil (standard native-1c)
  --kernel FIL         gästens avbild (standard: gäst-OS:et byggt med vmlab)
  --cpu-mhz MHZ        med --run: den modellerade klockan för timrarna (standard 1000)
  --view VY            timeline, events, counters, compare, run, code, memory,
                       aligned, migration eller screen
  --instructions N     med --run: kör N instruktioner, pausa sedan
  --steps N            med --run: tryck sedan på Stega N gånger (N gästinstruktioner)
  --screenshot FIL     rita vyn till FIL (PNG) och avsluta; med --run, efter att
                       gästen stannat
  --select N           markera händelse N (dess rad i tabellen, från 0)
  --memory-show VILKA  minnesvyns rader: all, differing (hårdvaran avbildar dem
                       annorlunda) eller user (gästens U-bit)
  --goto ADR           minnesvyn börjar vid den linjära adressen ADR (hex)
  --breakdown ENHET    jämförvyns uppdelning i händelser (events, standard) eller
                       cykler (cycles)
  --breakdown-of A     jämförvyns uppdelning av arbetslasten A
  --sweep-set N        en öppnad svepnings profil- och kostnadsuppsättning N (från 0,
                       i listans ordning)
  --size BxH           fönsterstorlek (standard 1280x820)
  --lang SPRÅK         en eller sv
  -h, --help           denna text
</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="78"/>
        <source>%1 needs a value</source>
        <translation>%1 behöver ett värde</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="93"/>
        <source>--select takes an event number (got &apos;%1&apos;)</source>
        <translation>--select tar ett händelsenummer (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="100"/>
        <source>--instructions takes a positive count (got &apos;%1&apos;)</source>
        <translation>--instructions tar ett positivt antal (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="108"/>
        <source>--steps takes a positive count (got &apos;%1&apos;)</source>
        <translation>--steps tar ett positivt antal (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="120"/>
        <source>--memory-show takes all, differing or user (got &apos;%1&apos;)</source>
        <translation>--memory-show tar all, differing eller user (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="126"/>
        <source>--breakdown takes events or cycles (got &apos;%1&apos;)</source>
        <translation>--breakdown tar events eller cycles (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="137"/>
        <source>--sweep-set takes a set number, from 0 (got &apos;%1&apos;)</source>
        <translation>--sweep-set tar ett uppsättningsnummer, från 0 (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="147"/>
        <source>--goto takes a 32-bit address in hex, e.g. 40000000 (got &apos;%1&apos;)</source>
        <translation>--goto tar en 32-bitars adress i hex, t.ex. 40000000 (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="163"/>
        <source>--cpu-mhz takes a clock in MHz from %1 to %2 (got &apos;%3&apos;)</source>
        <translation>--cpu-mhz tar en klocka i MHz från %1 till %2 (fick &apos;%3&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="173"/>
        <source>--lang takes en or sv (got &apos;%1&apos;)</source>
        <translation>--lang tar en eller sv (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="185"/>
        <source>--size takes WIDTHxHEIGHT, from 320x240 to 8192x8192 (got &apos;%1&apos;)</source>
        <translation>--size tar BREDDxHÖJD, från 320x240 till 8192x8192 (fick &apos;%1&apos;)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="206"/>
        <source>unknown mode &apos;%1&apos; (modes: native, trap, trap-npt, trap-classic, bt, pv)</source>
        <translation>okänt läge &apos;%1&apos; (lägen: native, trap, trap-npt, trap-classic, bt, pv)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="227"/>
        <source>unknown view &apos;%1&apos; (views: timeline, events, counters, compare, run, code, memory, aligned, migration, screen)</source>
        <translation>okänd vy &apos;%1&apos; (vyer: timeline, events, counters, compare, run, code, memory, aligned, migration, screen)</translation>
    </message>
    <message>
        <location filename="../app_options.cpp" line="235"/>
        <source>unknown option &apos;%1&apos; (vmlab-gui --help lists them)</source>
        <translation>okänd flagga &apos;%1&apos; (vmlab-gui --help listar dem)</translation>
    </message>
</context>
<context>
    <name>BtTranslations</name>
    <message>
        <location filename="../bt_translations.cpp" line="42"/>
        <source>%1: cannot read (%2)</source>
        <translation>%1: kan inte läsa (%2)</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="57"/>
        <source>%1, line %2: %3</source>
        <translation>%1, rad %2: %3</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="65"/>
        <source>not a JSON object</source>
        <translation>inte ett JSON-objekt</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="72"/>
        <source>not a vmlab translations file (expected schema vmlab-bt-translations/2)</source>
        <translation>inte en översättningsfil från vmlab (väntade schemat vmlab-bt-translations/2)</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="78"/>
        <source>dropped and dropped_written are not counts</source>
        <translation>dropped och dropped_written är inte antal</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="84"/>
        <source>no fragment count</source>
        <translation>inget antal fragment</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="95"/>
        <source>not a fragment (index, guest_start, guest_bytes, tc_start, tc_end, text)</source>
        <translation>inte ett fragment (index, guest_start, guest_bytes, tc_start, tc_end, text)</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="104"/>
        <source>a dropped fragment without its reason, dropped_cycle or dropped_instructions</source>
        <translation>ett kastat fragment utan sitt skäl, dropped_cycle eller dropped_instructions</translation>
    </message>
    <message>
        <location filename="../bt_translations.cpp" line="115"/>
        <source>%1: empty (no header line)</source>
        <translation>%1: tom (ingen rubrikrad)</translation>
    </message>
</context>
<context>
    <name>CompareData</name>
    <message>
        <location filename="../compare_data.cpp" line="22"/>
        <location filename="../compare_data.cpp" line="33"/>
        <source>%1 under %2: %3</source>
        <translation>%1 under %2: %3</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="95"/>
        <source>not valid JSON at byte %1: %2</source>
        <translation>inte giltig JSON vid byte %1: %2</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="103"/>
        <source>not vmlab compare output (expected schema vmlab-compare/1; make it with vmlab compare --format json)</source>
        <translation>inte utdata från vmlab compare (väntade schemat vmlab-compare/1; gör den med vmlab compare --format json)</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="118"/>
        <source>a result without workload or mode</source>
        <translation>ett resultat utan arbetslast eller läge</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="126"/>
        <source>no reason given</source>
        <translation>inget skäl angivet</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="127"/>
        <source>no error given</source>
        <translation>inget fel angivet</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="147"/>
        <source>no results</source>
        <translation>inga resultat</translation>
    </message>
    <message>
        <location filename="../compare_data.cpp" line="154"/>
        <source>cannot read (%1)</source>
        <translation>kan inte läsa (%1)</translation>
    </message>
</context>
<context>
    <name>EventDecoder</name>
    <message>
        <location filename="../event_decoder.cpp" line="168"/>
        <source>VM exit: %1, qualification %2</source>
        <translation>VM-utgång: %1, kvalifikation %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="171"/>
        <source>trap: vector %1, error code %2</source>
        <translation>fälla: vektor %1, felkod %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="174"/>
        <source>emulated %1 at %2</source>
        <translation>emulerade %1 vid %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="177"/>
        <source>%1 ran without a trap</source>
        <translation>%1 kördes utan fälla</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="180"/>
        <source>translated %1: %2 instructions, %3 guest bytes -&gt; %4 TC bytes</source>
        <translation>översatte %1: %2 instruktioner, %3 gästbyte -&gt; %4 TC-byte</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="187"/>
        <source>callout %1 (guest opcode %2)</source>
        <translation>utrop %1 (gästens opkod %2)</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="195"/>
        <source>hidden fault at %1, error %2, shadow PTE %3</source>
        <translation>dolt sidfel vid %1, fel %2, skugg-PTE %3</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="199"/>
        <source>true fault at %1, error %2</source>
        <translation>äkta sidfel vid %1, fel %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="202"/>
        <source>PTE at %1: %2 -&gt; %3</source>
        <translation>PTE vid %1: %2 -&gt; %3</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="205"/>
        <source>shadow entry for %1 = %2</source>
        <translation>skuggpost för %1 = %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="208"/>
        <source>CR3 %1 -&gt; %2</source>
        <translation>CR3 %1 -&gt; %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="211"/>
        <source>TLB flush, global entries too</source>
        <translation>TLB-tömning, även globala poster</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="212"/>
        <source>TLB flush</source>
        <translation>TLB-tömning</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="214"/>
        <source>INVLPG %1</source>
        <translation>INVLPG %1</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="216"/>
        <source>%1 %2, %3 byte(s), value %4%5</source>
        <translation>%1 %2, %3 byte, värde %4%5</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="221"/>
        <source> (no device)</source>
        <translation> (ingen enhet)</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="223"/>
        <source>MMIO %1 %2, %3 byte(s), value %4</source>
        <translation>MMIO %1 %2, %3 byte, värde %4</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="224"/>
        <source>write</source>
        <translation>skrivning</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="225"/>
        <location filename="../event_decoder.cpp" line="297"/>
        <source>read</source>
        <translation>läsning</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="230"/>
        <source>exception %1, error code %2</source>
        <translation>undantag %1, felkod %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="232"/>
        <source>exception %1</source>
        <translation>undantag %1</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="235"/>
        <source>interrupt vector %1</source>
        <translation>avbrott vektor %1</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="242"/>
        <source>injected vector %1</source>
        <translation>injicerade vektor %1</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="245"/>
        <source>ring %1 notified, %2 entries</source>
        <translation>ring %1 meddelad, %2 poster</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="249"/>
        <source>machine stop, reason %1, exit value %2</source>
        <translation>maskinstopp, orsak %1, slutvärde %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="253"/>
        <source>page fault at %1, error %2</source>
        <translation>sidfel vid %1, fel %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="256"/>
        <source>CR%1 %2 -&gt; %3</source>
        <translation>CR%1 %2 -&gt; %3</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="260"/>
        <source>nested walk for %1: %2 references</source>
        <translation>nästlad tabellgång för %1: %2 referenser</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="264"/>
        <source>chained %1 -&gt; guest %2 (TC %3)</source>
        <translation>kedjade %1 -&gt; gäst %2 (TC %3)</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="267"/>
        <source>%1 lookup hit(s) %2</source>
        <translation>%1 uppslagsträff(ar) %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="271"/>
        <source>lookup miss for %1</source>
        <translation>uppslagsmiss för %1</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="273"/>
        <source>%1 x %2 emulated in the TC</source>
        <translation>%1 x %2 emulerade i TC</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="278"/>
        <source>%1 retranslated as a callout after %2 faults</source>
        <translation>%1 omöversatt som utrop efter %2 fel</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="282"/>
        <source>%1 back to IDENT after %2 callouts</source>
        <translation>%1 tillbaka till IDENT efter %2 utrop</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="286"/>
        <source>TC flushed: %1 translations, %2 bytes</source>
        <translation>TC tömd: %1 översättningar, %2 byte</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="290"/>
        <source>page %1 written: %2 translations invalidated</source>
        <translation>sida %1 skriven: %2 översättningar ogiltigförklarade</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="295"/>
        <source>%1 hypervisor-hole address %2</source>
        <translation>%1 adress i hypervisorhålet %2</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="296"/>
        <source>wrote</source>
        <translation>skrev</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="300"/>
        <source>disk request op %1: %2 sectors from %3</source>
        <translation>diskbegäran op %1: %2 sektorer från %3</translation>
    </message>
    <message>
        <location filename="../event_decoder.cpp" line="314"/>
        <source>#%1  cycle %2  %3  %4  (charged %5, EIP %6, CPL %7)</source>
        <translation>#%1  cykel %2  %3  %4  (debiterat %5, EIP %6, CPL %7)</translation>
    </message>
</context>
<context>
    <name>KernelImage</name>
    <message>
        <location filename="../kernel_image.cpp" line="44"/>
        <source>the kernel %1 is not here any more</source>
        <translation>kärnan %1 finns inte kvar</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="49"/>
        <source>%1: larger than 64 MiB</source>
        <translation>%1: större än 64 MiB</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="55"/>
        <source>%1 is not the kernel the run booted (its SHA-256 differs from config.json&apos;s): rebuilt since?</source>
        <translation>%1 är inte kärnan som körningen startade (dess SHA-256 skiljer sig från config.json:s): ombyggd sedan dess?</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="64"/>
        <source>%1: cannot read (%2)</source>
        <translation>%1: kan inte läsa (%2)</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="75"/>
        <source>%1: not an ELF32 i386 image (%2)</source>
        <translation>%1: inte en ELF32-avbild för i386 (%2)</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="124"/>
        <source>0x%1 is in bt&apos;s translation cache (the hypervisor hole at 0xfc000000), not in the kernel image</source>
        <translation>0x%1 ligger i bt:s översättningscache (hypervisorhålet vid 0xfc000000), inte i kärnans avbild</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="131"/>
        <source>0x%1 is not in the kernel image (a user program, the translation cache or code loaded at run time)</source>
        <translation>0x%1 ligger inte i kärnans avbild (ett användarprogram, översättningscachen eller kod som laddats under körningen)</translation>
    </message>
    <message>
        <location filename="../kernel_image.cpp" line="139"/>
        <source>0x%1: not a valid instruction</source>
        <translation>0x%1: ingen giltig instruktion</translation>
    </message>
</context>
<context>
    <name>Lane</name>
    <message>
        <location filename="../lanes.cpp" line="50"/>
        <source>Trap / VM exit</source>
        <translation>Fälla / VM-utgång</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="51"/>
        <source>Emulated instruction</source>
        <translation>Emulerad instruktion</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="52"/>
        <source>Hypercall</source>
        <translation>Hyperanrop</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="53"/>
        <source>Hidden fault</source>
        <translation>Dolt sidfel</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="54"/>
        <source>True fault</source>
        <translation>Äkta sidfel</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="55"/>
        <source>Guest PT write</source>
        <translation>Gäst-PT-skrivning</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="56"/>
        <source>BT translate / callout</source>
        <translation>BT-översättning / utrop</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="57"/>
        <source>Port / MMIO</source>
        <translation>Port / MMIO</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="58"/>
        <source>Interrupt / exception</source>
        <translation>Avbrott / undantag</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="59"/>
        <source>CR3 switch / TLB</source>
        <translation>CR3-byte / TLB</translation>
    </message>
    <message>
        <location filename="../lanes.cpp" line="60"/>
        <source>Other</source>
        <translation>Övrigt</translation>
    </message>
</context>
<context>
    <name>LiveRun</name>
    <message>
        <location filename="../live_run.cpp" line="16"/>
        <source>native</source>
        <translation>native</translation>
    </message>
    <message>
        <location filename="../live_run.cpp" line="18"/>
        <source>trap VT (shadow paging)</source>
        <translation>trap VT (skuggsidtabeller)</translation>
    </message>
    <message>
        <location filename="../live_run.cpp" line="20"/>
        <source>trap VT + NPT (nested paging)</source>
        <translation>trap VT + NPT (nästlad sidöversättning)</translation>
    </message>
    <message>
        <location filename="../live_run.cpp" line="22"/>
        <source>trap classic (ring compression)</source>
        <translation>trap klassisk (ringkompression)</translation>
    </message>
    <message>
        <location filename="../live_run.cpp" line="23"/>
        <source>bt (binary translation)</source>
        <translation>bt (binär översättning)</translation>
    </message>
    <message>
        <location filename="../live_run.cpp" line="24"/>
        <source>pv (paravirtualization)</source>
        <translation>pv (paravirtualisering)</translation>
    </message>
    <message>
        <location filename="../live_run.cpp" line="46"/>
        <source>a run is already started</source>
        <translation>en körning är redan startad</translation>
    </message>
</context>
<context>
    <name>MemoryView</name>
    <message>
        <location filename="../inspection_views.cpp" line="34"/>
        <source>the guest&apos;s own tables (native)</source>
        <translation>gästens egna tabeller (native)</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="36"/>
        <source>shadow tables the monitor builds</source>
        <translation>skuggtabeller som monitorn bygger</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="38"/>
        <source>the guest&apos;s tables, then the nested table</source>
        <translation>gästens tabeller, sedan den nästlade tabellen</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="40"/>
        <source>the guest&apos;s tables, holding machine frames (direct)</source>
        <translation>gästens tabeller, med maskinramar (direkt)</translation>
    </message>
</context>
<context>
    <name>RunLoader</name>
    <message>
        <location filename="../run_loader.cpp" line="33"/>
        <source>%1: cannot read (%2)</source>
        <translation>%1: kan inte läsa (%2)</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="39"/>
        <source>%1: not valid JSON at byte %2: %3</source>
        <translation>%1: inte giltig JSON vid byte %2: %3</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="45"/>
        <source>%1: not a JSON object</source>
        <translation>%1: inte ett JSON-objekt</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="58"/>
        <source>%1: not a vmlab config (schema &quot;%2&quot;, expected vmlab-config/1)</source>
        <translation>%1: inte en vmlab-konfiguration (schema &quot;%2&quot;, väntade vmlab-config/1)</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="71"/>
        <source>config.json names no kernel</source>
        <translation>config.json namnger ingen kärna</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="132"/>
        <location filename="../run_loader.cpp" line="136"/>
        <source>stop-and-copy</source>
        <translation>stoppa-och-kopiera</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="148"/>
        <source>%1: not vmlab stats (schema &quot;%2&quot;, expected vmlab-stats/1)</source>
        <translation>%1: inte vmlab-statistik (schema &quot;%2&quot;, väntade vmlab-stats/1)</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="172"/>
        <source>%1: %2 cycles/iteration over %3 iterations</source>
        <translation>%1: %2 cykler/iteration över %3 iterationer</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="211"/>
        <source>%1: loading cancelled</source>
        <translation>%1: inläsningen avbröts</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="239"/>
        <source>%1, line %2: %3</source>
        <translation>%1, rad %2: %3</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="250"/>
        <source>%1, line %2: events out of order (seq %3 after %4)</source>
        <translation>%1, rad %2: händelser i fel ordning (seq %3 efter %4)</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="321"/>
        <source>%1: empty, not a trace</source>
        <translation>%1: tom, inget spår</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="325"/>
        <source>%1: truncated (no closing ]}: the run did not finish writing it)</source>
        <translation>%1: avkortad (ingen avslutande ]}: körningen skrev inte klart den)</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="338"/>
        <source>%1: no such file or directory</source>
        <translation>%1: ingen sådan fil eller katalog</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="347"/>
        <source>%1: a trace without config.json and stats.json; counters are counted from the trace</source>
        <translation>%1: ett spår utan config.json och stats.json; räknarna räknas från spåret</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="355"/>
        <source>%1: not a vmlab run directory (no config.json; make one with vmlab run --out DIR --trace)</source>
        <translation>%1: inte en vmlab-körkatalog (ingen config.json; gör en med vmlab run --out DIR --trace)</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="367"/>
        <source>%1: missing; counters are counted from the trace</source>
        <translation>%1: saknas; räknarna räknas från spåret</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="377"/>
        <source>the run directory has no translations.jsonl</source>
        <translation>körkatalogen har ingen translations.jsonl</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="402"/>
        <source>%1: no trace.jsonl (the run was made without --trace): counters only, no timeline</source>
        <translation>%1: ingen trace.jsonl (körningen gjordes utan --trace): bara räknare, ingen tidslinje</translation>
    </message>
    <message>
        <location filename="../run_loader.cpp" line="420"/>
        <source>the trace holds the first %1 events; %2 more were dropped (vmlab run --trace-limit)</source>
        <translation>spåret innehåller de första %1 händelserna; %2 till utelämnades (vmlab run --trace-limit)</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <location filename="../timeline_renderer.cpp" line="105"/>
        <source>modeled cycles</source>
        <translation>modellerade cykler</translation>
    </message>
    <message>
        <location filename="../timeline_renderer.cpp" line="165"/>
        <source>cumulative cycles charged per class</source>
        <translation>ackumulerade debiterade cykler per klass</translation>
    </message>
    <message>
        <location filename="../timeline_renderer.cpp" line="178"/>
        <source>No cycles charged to events here (the cost profile may charge none).</source>
        <translation>Inga cykler debiterade händelser här (kostnadsprofilen kanske inte debiterar några).</translation>
    </message>
    <message>
        <location filename="../timeline_renderer.cpp" line="183"/>
        <source>top: %1</source>
        <translation>topp: %1</translation>
    </message>
</context>
<context>
    <name>vmlab::gui</name>
    <message>
        <location filename="../sweep_data.cpp" line="28"/>
        <source>%1: cannot read (%2)</source>
        <translation>%1: kan inte läsa (%2)</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="33"/>
        <source>%1: not valid JSON at byte %2: %3</source>
        <translation>%1: inte giltig JSON vid byte %2: %3</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="38"/>
        <source>%1: not a JSON object</source>
        <translation>%1: inte ett JSON-objekt</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="147"/>
        <source>%1: no results.json: the sweep has not combined its cells yet (vmlab sweep --collect --out %2)</source>
        <translation>%1: ingen results.json: svepningen har inte sammanställt sina celler än (vmlab sweep --collect --out %2)</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="156"/>
        <source>%1: not vmlab sweep results (expected schema vmlab-sweep/1)</source>
        <translation>%1: inte resultat från vmlab sweep (väntade schemat vmlab-sweep/1)</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="159"/>
        <source>%1: no cells array</source>
        <translation>%1: ingen cells-lista</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="165"/>
        <source>%1: cell %2: %3</source>
        <translation>%1: cell %2: %3</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="174"/>
        <source>no cell, mode, workload or profile</source>
        <translation>ingen cell, inget läge, ingen arbetslast eller profil</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="179"/>
        <source>the cell name &quot;%1&quot; is not a folder name</source>
        <translation>cellnamnet &quot;%1&quot; är inget mappnamn</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="182"/>
        <source>iters is not a count</source>
        <translation>iters är inget antal</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="190"/>
        <source>the cost override &quot;%1&quot; is not KEY=CYCLES</source>
        <translation>kostnadsändringen &quot;%1&quot; är inte NYCKEL=CYKLER</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="201"/>
        <source>no reason given</source>
        <translation>inget skäl angivet</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="201"/>
        <source>no error given</source>
        <translation>inget fel angivet</translation>
    </message>
    <message>
        <location filename="../sweep_data.cpp" line="219"/>
        <source>%1: no cells</source>
        <translation>%1: inga celler</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::AlignedView</name>
    <message>
        <location filename="../aligned_view.cpp" line="18"/>
        <source>no run</source>
        <translation>ingen körning</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="20"/>
        <source>&lt;b&gt;%1&lt;/b&gt; · profile %2 · %3 instructions retired on the processor · %4 modeled cycles · %5 events on the timeline · &lt;span style=&apos;color:#555&apos;&gt;%6&lt;/span&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · profil %2 · %3 instruktioner utförda på processorn · %4 modellerade cykler · %5 händelser på tidslinjen · &lt;span style=&apos;color:#555&apos;&gt;%6&lt;/span&gt;</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="48"/>
        <source>Open a run...</source>
        <translation>Öppna en körning...</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="49"/>
        <source>Show another run directory in the upper row</source>
        <translation>Visa en annan körkatalog i den övre raden</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="51"/>
        <source>Use the window&apos;s run</source>
        <translation>Använd fönstrets körning</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="52"/>
        <source>Show the run of the other tabs (opened or live) in the upper row</source>
        <translation>Visa de andra flikarnas körning (öppnad eller live) i den övre raden</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="54"/>
        <source>Open a second run...</source>
        <translation>Öppna en andra körning...</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="55"/>
        <source>Show another run directory in the lower row</source>
        <translation>Visa en annan körkatalog i den undre raden</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="171"/>
        <source>upper run (the window&apos;s; selected in the event table too)</source>
        <translation>övre körningen (fönstrets; vald i händelsetabellen också)</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="172"/>
        <source>upper run</source>
        <translation>övre körningen</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="175"/>
        <source>lower run</source>
        <translation>nedre körningen</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="178"/>
        <source>Click an event on either timeline to select it.</source>
        <translation>Klicka på en händelse på någon av tidslinjerna för att välja den.</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="183"/>
        <source>Selected in the %1: %2</source>
        <translation>Vald i %1: %2</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="196"/>
        <source>Upper (the window&apos;s run): %1</source>
        <translation>Övre (fönstrets körning): %1</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="197"/>
        <source>Upper: %1</source>
        <translation>Övre: %1</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="201"/>
        <source>Lower: no run yet. Open a second run directory (vmlab run --out DIR --trace) to compare it with the upper one on the same modeled-time axis.</source>
        <translation>Undre: ingen körning än. Öppna en andra körkatalog (vmlab run --out DIR --trace) för att jämföra den med den övre på samma axel av modellerad tid.</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="206"/>
        <source> · %1× the upper run&apos;s modeled cycles</source>
        <translation> · %1× den övre körningens modellerade cykler</translation>
    </message>
    <message>
        <location filename="../aligned_view.cpp" line="212"/>
        <source>Lower: %1</source>
        <translation>Undre: %1</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::CellRun</name>
    <message>
        <location filename="../cell_run.cpp" line="81"/>
        <source>cannot start %1 (%2)</source>
        <translation>kan inte starta %1 (%2)</translation>
    </message>
    <message>
        <location filename="../cell_run.cpp" line="108"/>
        <source>vmlab run ended with status %1</source>
        <translation>vmlab run slutade med status %1</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::CodeView</name>
    <message>
        <location filename="../inspection_views.cpp" line="157"/>
        <source>The code view shows a live run: start one in the Run tab and pause or step it.</source>
        <translation>Kodvyn visar en levande körning: starta en i fliken Kör och pausa eller stega den.</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="190"/>
        <source>Guest EIP %1  CPL %2  IF %3  EFLAGS %4  CR0 %5  CR3 %6  CR4 %7%8
EAX %9  EBX %10  ECX %11  EDX %12  ESI %13  EDI %14  EBP %15  ESP %16</source>
        <translation>Gästens EIP %1  CPL %2  IF %3  EFLAGS %4  CR0 %5  CR3 %6  CR4 %7%8
EAX %9  EBX %10  ECX %11  EDX %12  ESI %13  EDI %14  EBP %15  ESP %16</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="196"/>
        <source>  (virtual: the kernel runs deprivileged)</source>
        <translation>  (virtuellt: kärnan körs med sänkt privilegium)</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="199"/>
        <source>; guest code from EIP (Capstone)
</source>
        <translation>; gästkod från EIP (Capstone)
</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="205"/>
        <source>(EIP is not mapped)
</source>
        <translation>(EIP är inte avbildad)
</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="211"/>
        <source>; no translation cache in this mode (bt shows the guest block and its translation here)
</source>
        <translation>; ingen översättningscache i detta läge (bt visar gästblocket och dess översättning här)
</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="216"/>
        <source>; translation %1: guest %2-%3, guest instructions: %4
;   -&gt; TC %5-%6, translated instructions: %7, callouts: %8
</source>
        <translation>; översättning %1: gäst %2-%3, gästinstruktioner: %4
;   -&gt; TC %5-%6, översatta instruktioner: %7, utrop: %8
</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="240"/>
        <source>
; callouts into the monitor
</source>
        <translation>
; utrop till monitorn
</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="245"/>
        <source> (continuation)</source>
        <translation> (fortsättning)</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::CompareView</name>
    <message>
        <location filename="../compare_view.cpp" line="50"/>
        <source>No comparison open: run &lt;tt&gt;vmlab compare --modes all --format json &amp;gt; compare.json&lt;/tt&gt; and open it (File menu, or vmlab-gui --compare compare.json).</source>
        <translation>Ingen jämförelse öppen: kör &lt;tt&gt;vmlab compare --modes all --format json &amp;gt; compare.json&lt;/tt&gt; och öppna den (Arkiv-menyn, eller vmlab-gui --compare compare.json).</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="60"/>
        <location filename="../compare_view.cpp" line="89"/>
        <location filename="../compare_view.cpp" line="434"/>
        <source>cycles per operation</source>
        <translation>cykler per operation</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="61"/>
        <source>ratio to native</source>
        <translation>kvot mot native</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="62"/>
        <source>log scale</source>
        <translation>logaritmisk skala</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="68"/>
        <source>Profile and costs:</source>
        <translation>Profil och kostnader:</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="77"/>
        <source>&lt;b&gt;Cells&lt;/b&gt; (cycles per operation; double-click a cell for its run: events and timeline)</source>
        <translation>&lt;b&gt;Celler&lt;/b&gt; (cykler per operation; dubbelklicka på en cell för dess körning: händelser och tidslinje)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="90"/>
        <source>Export PNG...</source>
        <translation>Exportera PNG...</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="91"/>
        <source>Export SVG...</source>
        <translation>Exportera SVG...</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="92"/>
        <source>Export CSV...</source>
        <translation>Exportera CSV...</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="94"/>
        <source>Show:</source>
        <translation>Visa:</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="98"/>
        <source>Breakdown of:</source>
        <translation>Uppdelning av:</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="135"/>
        <source>PNG image (*.png)</source>
        <translation>PNG-bild (*.png)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="137"/>
        <source>SVG drawing (*.svg)</source>
        <translation>SVG-ritning (*.svg)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="139"/>
        <source>CSV table (*.csv)</source>
        <translation>CSV-tabell (*.csv)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="160"/>
        <source>&lt;b&gt;vmlab compare&lt;/b&gt;, profile %1: %2 workloads in %3 modes.</source>
        <translation>&lt;b&gt;vmlab compare&lt;/b&gt;, profil %1: %2 arbetslaster i %3 lägen.</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="210"/>
        <source>&lt;b&gt;vmlab sweep&lt;/b&gt; %1: %2 cells (%3 measured, %4 skipped, %5 failed) in %6 profile and cost sets. Shown: &lt;b&gt;%7&lt;/b&gt;, %8 workloads in %9 modes.</source>
        <translation>&lt;b&gt;vmlab sweep&lt;/b&gt; %1: %2 celler (%3 mätta, %4 överhoppade, %5 misslyckade) i %6 profil- och kostnadsuppsättningar. Visas: &lt;b&gt;%7&lt;/b&gt;, %8 arbetslaster i %9 lägen.</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="247"/>
        <source>(not in the grid)</source>
        <translation>(inte i rutnätet)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="252"/>
        <source>%1: %2 cycles per operation. Double-click: its run (events, timeline).</source>
        <translation>%1: %2 cykler per operation. Dubbelklicka: dess körning (händelser, tidslinje).</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="256"/>
        <source>skipped</source>
        <translation>överhoppad</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="259"/>
        <source>%1: skipped: %2</source>
        <translation>%1: överhoppad: %2</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="261"/>
        <source>failed</source>
        <translation>misslyckad</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="264"/>
        <source>%1: failed: %2</source>
        <translation>%1: misslyckad: %2</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="282"/>
        <source>&lt;span style=&apos;color:#555&apos;&gt;&lt;b&gt;Skipped&lt;/b&gt; (the guest cannot run the workload here; not a failure, no bar): %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#555&apos;&gt;&lt;b&gt;Överhoppad&lt;/b&gt; (gästen kan inte köra arbetslasten här; inget fel, ingen stapel): %1&lt;/span&gt;</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="287"/>
        <source>&lt;span style=&apos;color:#b00020&apos;&gt;&lt;b&gt;Failed&lt;/b&gt; (no bar): %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#b00020&apos;&gt;&lt;b&gt;Misslyckad&lt;/b&gt; (ingen stapel): %1&lt;/span&gt;</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="310"/>
        <source>Ratio to native per workload (lower is better)</source>
        <translation>Kvot mot native per arbetslast (lägre är bättre)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="311"/>
        <source>Modeled cycles per operation per workload (lower is better)</source>
        <translation>Modellerade cykler per operation per arbetslast (lägre är bättre)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="361"/>
        <source>x native (log)</source>
        <translation>x native (log)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="361"/>
        <source>cycles (log)</source>
        <translation>cykler (log)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="368"/>
        <source>x native</source>
        <translation>x native</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="368"/>
        <source>cycles</source>
        <translation>cykler</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="383"/>
        <source>%1: modeled cycles per operation by source</source>
        <translation>%1: modellerade cykler per operation efter källa</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="384"/>
        <source>%1: events per operation by event class</source>
        <translation>%1: händelser per operation per händelseklass</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="88"/>
        <location filename="../compare_view.cpp" line="434"/>
        <source>events per operation</source>
        <translation>händelser per operation</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="403"/>
        <source>Guest instructions</source>
        <translation>Gästinstruktioner</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="425"/>
        <source>%1 (skipped)</source>
        <translation>%1 (överhoppad)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="425"/>
        <source>%1 (failed)</source>
        <translation>%1 (misslyckad)</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="481"/>
        <source>vmlab compare</source>
        <translation>vmlab compare</translation>
    </message>
    <message>
        <location filename="../compare_view.cpp" line="497"/>
        <source>Export the comparison</source>
        <translation>Exportera jämförelsen</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::CounterModel</name>
    <message>
        <location filename="../counter_model.cpp" line="74"/>
        <source>all events since boot</source>
        <translation>alla händelser sedan start</translation>
    </message>
    <message>
        <location filename="../counter_model.cpp" line="94"/>
        <source>Event kind</source>
        <translation>Händelsetyp</translation>
    </message>
    <message>
        <location filename="../counter_model.cpp" line="95"/>
        <source>Class</source>
        <translation>Klass</translation>
    </message>
    <message>
        <location filename="../counter_model.cpp" line="96"/>
        <source>Count</source>
        <translation>Antal</translation>
    </message>
    <message>
        <location filename="../counter_model.cpp" line="97"/>
        <source>Cycles charged</source>
        <translation>Debiterade cykler</translation>
    </message>
    <message>
        <location filename="../counter_model.cpp" line="98"/>
        <source>Share of modeled time</source>
        <translation>Andel av modellerad tid</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::CountersView</name>
    <message>
        <location filename="../counters_view.cpp" line="58"/>
        <source>&lt;b&gt;%1&lt;/b&gt;, profile %2: %3 instructions retired on the processor, %4 modeled cycles, %5 of them charged to events.</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;, profil %2: %3 instruktioner utförda på processorn, %4 modellerade cykler, varav %5 debiterade händelser.</translation>
    </message>
    <message>
        <location filename="../counters_view.cpp" line="60"/>
        <source>no run</source>
        <translation>ingen körning</translation>
    </message>
    <message>
        <location filename="../counters_view.cpp" line="66"/>
        <source>Stop: %1</source>
        <translation>Stopp: %1</translation>
    </message>
    <message>
        <location filename="../counters_view.cpp" line="81"/>
        <source>Share of modeled time charged to each event class</source>
        <translation>Andel av modellerad tid debiterad varje händelseklass</translation>
    </message>
    <message>
        <location filename="../counters_view.cpp" line="84"/>
        <source>share</source>
        <translation>andel</translation>
    </message>
    <message>
        <location filename="../counters_view.cpp" line="114"/>
        <source>% of modeled cycles</source>
        <translation>% av modellerade cykler</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::EventTableModel</name>
    <message>
        <location filename="../event_table_model.cpp" line="80"/>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location filename="../event_table_model.cpp" line="81"/>
        <source>Cycle</source>
        <translation>Cykel</translation>
    </message>
    <message>
        <location filename="../event_table_model.cpp" line="82"/>
        <source>Kind</source>
        <translation>Typ</translation>
    </message>
    <message>
        <location filename="../event_table_model.cpp" line="83"/>
        <source>CPL</source>
        <translation>CPL</translation>
    </message>
    <message>
        <location filename="../event_table_model.cpp" line="84"/>
        <source>EIP</source>
        <translation>EIP</translation>
    </message>
    <message>
        <location filename="../event_table_model.cpp" line="85"/>
        <source>Charged</source>
        <translation>Debiterat</translation>
    </message>
    <message>
        <location filename="../event_table_model.cpp" line="86"/>
        <source>Payload</source>
        <translation>Innehåll</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::EventsView</name>
    <message>
        <location filename="../events_view.cpp" line="47"/>
        <source>any CPL</source>
        <translation>alla CPL</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="48"/>
        <source>CPL %1</source>
        <translation>CPL %1</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="51"/>
        <source>EIP from (hex)</source>
        <translation>EIP från (hex)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="52"/>
        <source>EIP to (hex)</source>
        <translation>EIP till (hex)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="54"/>
        <source>search payload, e.g. mmu_update or COM1</source>
        <translation>sök i innehållet, t.ex. mmu_update eller COM1</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="57"/>
        <source>Kind:</source>
        <translation>Typ:</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="131"/>
        <source>all kinds</source>
        <translation>alla typer</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="157"/>
        <source>%1 of %2 traced events shown</source>
        <translation>%1 av %2 spårade händelser visas</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="225"/>
        <source>translated code: not shown (%1)</source>
        <translation>översatt kod: visas inte (%1)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="230"/>
        <source>the translation cache at the pause</source>
        <translation>översättningscachen vid pausen</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="230"/>
        <source>translations.jsonl</source>
        <translation>translations.jsonl</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="241"/>
        <source>translated code: guest 0x%1 has no fragment in %2 (left out by the file&apos;s bound, or dropped in a run that did not keep dropped fragments)</source>
        <translation>översatt kod: gästadressen 0x%1 har inget fragment i %2 (utelämnat av filens gräns, eller kastat i en körning som inte sparade kastade fragment)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="251"/>
        <source>translated code: TC address 0x%1 lies in fragment %2, which the monitor retired before this event (at cycle %3, by %4): it wrote a dead entry (a callout that finds the current translation) or a forwarding jump over its entry, where jumps chained to it still land. Its code as it was:</source>
        <translation>översatt kod: TC-adressen 0x%1 ligger i fragment %2, som monitorn tog ur bruk före den här händelsen (vid cykel %3, genom %4): den skrev en död ingång (ett anrop som hittar den aktuella översättningen) eller ett vidarehopp över dess ingång, där hopp kedjade till det fortfarande landar. Dess kod som den var:</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="258"/>
        <source>an adaptive retranslation</source>
        <translation>en adaptiv omöversättning</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="259"/>
        <source>a guest write to its code</source>
        <translation>en skrivning från gästen till dess kod</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="263"/>
        <source>translated code: TC address 0x%1 is in no fragment of %2 live at this event&apos;s cycle: the cache&apos;s own routines (re-entry, lookup), or a fragment left out by the file&apos;s bound</source>
        <translation>översatt kod: TC-adressen 0x%1 ligger i inget fragment i %2 som levde vid den här händelsens cykel: cachens egna rutiner (återinträde, uppslag), eller ett fragment utelämnat av filens gräns</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="274"/>
        <source>translated code (fragment %1 of the translation cache at the pause, as vmlab bt-dump prints it):</source>
        <translation>översatt kod (fragment %1 i översättningscachen vid pausen, som vmlab bt-dump skriver det):</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="283"/>
        <source>a flush of the full cache</source>
        <translation>en tömning av den fulla cachen</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="284"/>
        <source>a guest write to its code (invalidated)</source>
        <translation>en skrivning från gästen till dess kod (ogiltigförklarat)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="285"/>
        <source>an adaptive retranslation (replaced)</source>
        <translation>en adaptiv omöversättning (ersatt)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="288"/>
        <source>translated code (fragment %1 as it was at this event: dropped later, at cycle %2 after %3 instructions, by %4; from %5, as vmlab bt-dump printed it then):</source>
        <translation>översatt kod (fragment %1 som det var vid den här händelsen: kastat senare, vid cykel %2 efter %3 instruktioner, genom %4; från %5, som vmlab bt-dump skrev det då):</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="297"/>
        <source>  note: the guest no longer mapped this code then (boot code): the guest column shows what read there, not the instructions translated; the translation column is exact</source>
        <translation>  obs: gästen avbildade inte längre den här koden då (startkod): gästkolumnen visar vad som lästes där, inte de översatta instruktionerna; översättningskolumnen är exakt</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="277"/>
        <source>translated code (fragment %1 of the translation cache as the run ended, from translations.jsonl, as vmlab bt-dump prints it):</source>
        <translation>översatt kod (fragment %1 i översättningscachen när körningen slutade, från translations.jsonl, som vmlab bt-dump skriver ut det):</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="307"/>
        <source>  note: the cache was flushed after this event (event %1): the code that ran here may have been another translation</source>
        <translation>  obs: cachen tömdes efter den här händelsen (händelse %1): koden som kördes här kan ha varit en annan översättning</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="333"/>
        <source>instruction at EIP: %1</source>
        <translation>instruktion vid EIP: %1</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="335"/>
        <source>instruction at EIP: not shown (%1)</source>
        <translation>instruktion vid EIP: visas inte (%1)</translation>
    </message>
    <message>
        <location filename="../events_view.cpp" line="337"/>
        <source>class: %1</source>
        <translation>klass: %1</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::MainWindow</name>
    <message>
        <location filename="../main_window.cpp" line="45"/>
        <source>vmlab — watch a guest under five ways of virtualizing x86</source>
        <translation>vmlab — se en gäst under fem sätt att virtualisera x86</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="82"/>
        <source>Run</source>
        <translation>Kör</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="83"/>
        <source>Timeline and events</source>
        <translation>Tidslinje och händelser</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="84"/>
        <source>Counters</source>
        <translation>Räknare</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="85"/>
        <source>Compare modes</source>
        <translation>Jämför lägen</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="88"/>
        <source>Code</source>
        <translation>Kod</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="89"/>
        <source>Memory</source>
        <translation>Minne</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="91"/>
        <source>Screen</source>
        <translation>Skärm</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="93"/>
        <source>Two runs aligned</source>
        <translation>Två körningar i linje</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="95"/>
        <source>Migration</source>
        <translation>Migrering</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="135"/>
        <source>Cancel loading</source>
        <translation>Avbryt inläsningen</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="141"/>
        <source>&amp;File</source>
        <translation>&amp;Arkiv</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="142"/>
        <source>&amp;Open run directory...</source>
        <translation>&amp;Öppna körkatalog...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="144"/>
        <source>Open &amp;comparison (vmlab compare --format json)...</source>
        <translation>Öppna &amp;jämförelse (vmlab compare --format json)...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="146"/>
        <source>Open &amp;sweep results (vmlab sweep --out DIR)...</source>
        <translation>Öppna &amp;svepningsresultat (vmlab sweep --out DIR)...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="148"/>
        <source>Open &amp;trace file (trace.json, trace.jsonl, or .gz)...</source>
        <translation>Öppna &amp;spårfil (trace.json, trace.jsonl eller .gz)...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="150"/>
        <source>Open a second run to &amp;align...</source>
        <translation>Öppna en andra körning att &amp;linjera...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="151"/>
        <source>Open a run for the &amp;upper aligned row...</source>
        <translation>Öppna en körning för den &amp;övre linjerade raden...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="154"/>
        <source>&amp;Quit</source>
        <translation>&amp;Avsluta</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="156"/>
        <source>&amp;View</source>
        <translation>&amp;Visa</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="157"/>
        <source>&amp;Run</source>
        <translation>&amp;Kör</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="158"/>
        <source>&amp;Timeline</source>
        <translation>&amp;Tidslinje</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="159"/>
        <source>&amp;Counters</source>
        <translation>&amp;Räknare</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="160"/>
        <source>C&amp;ompare modes</source>
        <translation>J&amp;ämför lägen</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="161"/>
        <source>Co&amp;de</source>
        <translation>Ko&amp;d</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="162"/>
        <source>&amp;Memory</source>
        <translation>&amp;Minne</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="163"/>
        <source>&amp;Screen</source>
        <translation>&amp;Skärm</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="164"/>
        <source>Two runs &amp;aligned</source>
        <translation>Två körningar i &amp;linje</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="165"/>
        <source>Mi&amp;gration</source>
        <translation>Mi&amp;grering</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="167"/>
        <source>Show the &amp;whole run</source>
        <translation>Visa &amp;hela körningen</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="169"/>
        <source>&amp;Language</source>
        <translation>&amp;Språk</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="188"/>
        <source>No translation for language &quot;%1&quot;.</source>
        <translation>Ingen översättning för språket &quot;%1&quot;.</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="200"/>
        <location filename="../main_window.cpp" line="254"/>
        <location filename="../main_window.cpp" line="262"/>
        <location filename="../main_window.cpp" line="273"/>
        <location filename="../main_window.cpp" line="284"/>
        <location filename="../main_window.cpp" line="296"/>
        <source>Could not open %1: %2</source>
        <translation>Kunde inte öppna %1: %2</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="233"/>
        <source>Loading %1 ...</source>
        <translation>Läser in %1 ...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="251"/>
        <source>Loading %1 was cancelled; the run shown before stays open.</source>
        <translation>Inläsningen av %1 avbröts; körningen som visades förut är kvar.</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="330"/>
        <source>Recording the run of cell %1 (vmlab run --out %2 --trace: %3 iterations of %4 under %5) ...</source>
        <translation>Spelar in körningen av cell %1 (vmlab run --out %2 --trace: %3 iterationer av %4 under %5) ...</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="344"/>
        <source>Could not record the run of cell %1: %2</source>
        <translation>Kunde inte spela in körningen av cell %1: %2</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="406"/>
        <source>No run open: File &gt; Open run directory, or the Run tab.</source>
        <translation>Ingen körning öppen: Arkiv &gt; Öppna körkatalog, eller fliken Kör.</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="412"/>
        <source>%1 events since boot, %2 on the timeline</source>
        <translation>%1 händelser sedan start, %2 på tidslinjen</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="414"/>
        <source>%1 events on the timeline</source>
        <translation>%1 händelser på tidslinjen</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="416"/>
        <source>%1 | %2 | profile %3 | %4 | %5 instructions retired on the processor | %6 modeled cycles</source>
        <translation>%1 | %2 | profil %3 | %4 | %5 instruktioner utförda på processorn | %6 modellerade cykler</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="455"/>
        <source>Open a trace vmlab wrote (trace.json, trace.jsonl, or gzip: trace.json.gz, trace.jsonl.gz)</source>
        <translation>Öppna ett spår som vmlab skrev (trace.json, trace.jsonl, eller gzip: trace.json.gz, trace.jsonl.gz)</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="458"/>
        <source>vmlab traces (*.json *.jsonl *.json.gz *.jsonl.gz)</source>
        <translation>vmlab-spår (*.json *.jsonl *.json.gz *.jsonl.gz)</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="424"/>
        <source>Open a vmlab run directory (vmlab run --out DIR --trace)</source>
        <translation>Öppna en vmlab-körkatalog (vmlab run --out DIR --trace)</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="435"/>
        <source>Open a second run directory to align below the first (vmlab run --out DIR --trace)</source>
        <translation>Öppna en andra körkatalog att linjera under den första (vmlab run --out DIR --trace)</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="445"/>
        <source>Open a run directory for the upper row of the aligned view (vmlab run --out DIR --trace)</source>
        <translation>Öppna en körkatalog för den linjerade vyns övre rad (vmlab run --out DIR --trace)</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="467"/>
        <source>Open the folder of a vmlab sweep (vmlab sweep --out DIR)</source>
        <translation>Öppna mappen för en vmlab sweep (vmlab sweep --out DIR)</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="476"/>
        <source>Open vmlab compare --format json output</source>
        <translation>Öppna utdata från vmlab compare --format json</translation>
    </message>
    <message>
        <location filename="../main_window.cpp" line="478"/>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::MemoryView</name>
    <message>
        <location filename="../inspection_views.cpp" line="254"/>
        <source>The memory view shows a live run: start one in the Run tab and pause or step it.</source>
        <translation>Minnesvyn visar en levande körning: starta en i fliken Kör och pausa eller stega den.</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="260"/>
        <source>all mapped pages</source>
        <translation>alla avbildade sidor</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="261"/>
        <source>only pages the hardware maps differently</source>
        <translation>bara sidor som hårdvaran avbildar annorlunda</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="262"/>
        <source>only user pages (the guest&apos;s U bit)</source>
        <translation>bara användarsidor (gästens U-bit)</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="264"/>
        <source>go to linear address (hex), e.g. 40000000</source>
        <translation>gå till linjär adress (hex), t.ex. 40000000</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="276"/>
        <source>Show:</source>
        <translation>Visa:</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="329"/>
        <source>The hardware walks %1. %2 mapped pages shown (at most %3), %4 of them mapped differently by the hardware (marked). P2M (guest-physical -&gt; machine):%5</source>
        <translation>Hårdvaran går igenom %1. %2 avbildade sidor visas (högst %3), %4 av dem avbildas annorlunda av hårdvaran (markerade). P2M (gästfysisk -&gt; maskin):%5</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::MigrationView</name>
    <message>
        <location filename="../migration_view.cpp" line="50"/>
        <source>This run was not migrated: its stats.json has no migration. Open the run directory of either side of a live migration (vmlab run --out DIR --migrate-to, or vmlab migrate-listen --out DIR; docs/migration.md) to see its pages per round.</source>
        <translation>Den här körningen migrerades inte: dess stats.json har ingen migration. Öppna körkatalogen för någon av sidorna i en levande migrering (vmlab run --out DIR --migrate-to, eller vmlab migrate-listen --out DIR; docs/migration.md) för att se dess sidor per runda.</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="56"/>
        <source>&lt;b&gt;Live migration, destination side&lt;/b&gt;</source>
        <translation>&lt;b&gt;Levande migrering, mottagarsidan&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="57"/>
        <source>&lt;b&gt;Live migration, source side&lt;/b&gt;</source>
        <translation>&lt;b&gt;Levande migrering, källsidan&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="59"/>
        <source>&lt;span style=&apos;color:#b00020&apos;&gt;not completed: %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#b00020&apos;&gt;inte slutförd: %1&lt;/span&gt;</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="63"/>
        <source>pre-copy stopped: %1</source>
        <translation>förkopieringen stoppade: %1</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="65"/>
        <source>threshold %1 pages</source>
        <translation>tröskel %1 sidor</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="66"/>
        <source>%1 pages in all</source>
        <translation>%1 sidor totalt</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="67"/>
        <source>%1 bytes</source>
        <translation>%1 byte</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="69"/>
        <source>downtime %1 modeled cycles</source>
        <translation>avbrottstid %1 modellerade cykler</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="71"/>
        <source>paused at cycle %1</source>
        <translation>pausad vid cykel %1</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="72"/>
        <source>resumed at cycle %1</source>
        <translation>återupptagen vid cykel %1</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="73"/>
        <source>no rounds in stats.json</source>
        <translation>inga rundor i stats.json</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="77"/>
        <source>pages received</source>
        <translation>mottagna sidor</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="77"/>
        <source>pages sent</source>
        <translation>skickade sidor</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="83"/>
        <source>pages dirtied while the round went over</source>
        <translation>sidor smutsade medan rundan gick över</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="107"/>
        <source>Pages received per round (stop-and-copy last)</source>
        <translation>Mottagna sidor per runda (stoppa-och-kopiera sist)</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="108"/>
        <source>Pages per pre-copy round, then stop-and-copy</source>
        <translation>Sidor per förkopieringsrunda, sedan stoppa-och-kopiera</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="111"/>
        <source>round</source>
        <translation>runda</translation>
    </message>
    <message>
        <location filename="../migration_view.cpp" line="118"/>
        <source>pages (4 KiB)</source>
        <translation>sidor (4 KiB)</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::PageTableModel</name>
    <message>
        <location filename="../inspection_views.cpp" line="74"/>
        <source>The hardware&apos;s mapping is not the guest&apos;s: a shadow entry not filled yet, a write-protected page-table page, or a frame elsewhere.</source>
        <translation>Hårdvarans avbildning är inte gästens: en skuggpost som inte fyllts än, en skrivskyddad sidtabellsida eller en ram någon annanstans.</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="88"/>
        <source>not present</source>
        <translation>inte närvarande</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="91"/>
        <source>faults</source>
        <translation>ger sidfel</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="101"/>
        <source>  differs</source>
        <translation>  skiljer sig</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="110"/>
        <source>Linear page</source>
        <translation>Linjär sida</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="111"/>
        <source>Guest PDE</source>
        <translation>Gästens PDE</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="112"/>
        <source>Guest PTE</source>
        <translation>Gästens PTE</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="113"/>
        <source>Guest maps to</source>
        <translation>Gästen avbildar på</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="114"/>
        <source>Nested PDE</source>
        <translation>Nästlad PDE</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="114"/>
        <source>Hardware PDE</source>
        <translation>Hårdvarans PDE</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="115"/>
        <source>Nested PTE</source>
        <translation>Nästlad PTE</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="115"/>
        <source>Hardware PTE</source>
        <translation>Hårdvarans PTE</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="116"/>
        <source>Machine address</source>
        <translation>Maskinadress</translation>
    </message>
    <message>
        <location filename="../inspection_views.cpp" line="117"/>
        <source>Rights guest / hardware</source>
        <translation>Rättigheter gäst / hårdvara</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::RunPanel</name>
    <message>
        <location filename="../run_panel.cpp" line="34"/>
        <source>(boot only: the shell)</source>
        <translation>(bara uppstart: skalet)</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="42"/>
        <source>more of the kernel command line, e.g. iters=1000</source>
        <translation>mer av kärnans kommandorad, t.ex. iters=1000</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="49"/>
        <source>text for the guest&apos;s COM1, sent at boot (\n for Enter)</source>
        <translation>text till gästens COM1, skickas vid uppstart (\n för Enter)</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="59"/>
        <source>Browse...</source>
        <translation>Bläddra...</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="60"/>
        <source>Choose another kernel image (an ELF file with a Multiboot header)</source>
        <translation>Välj en annan kärnavbild (en ELF-fil med ett Multiboot-huvud)</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="65"/>
        <source>Kernel:</source>
        <translation>Kärna:</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="69"/>
        <source>Workload:</source>
        <translation>Arbetslast:</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="70"/>
        <source>Mode:</source>
        <translation>Läge:</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="71"/>
        <source>Cost profile:</source>
        <translation>Kostnadsprofil:</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="72"/>
        <source>Console input:</source>
        <translation>Konsolindata:</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="74"/>
        <location filename="../run_panel.cpp" line="373"/>
        <source>Run</source>
        <translation>Kör</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="75"/>
        <source>Pause</source>
        <translation>Paus</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="76"/>
        <source>Step</source>
        <translation>Stega</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="77"/>
        <source>one guest instruction</source>
        <translation>en gästinstruktion</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="78"/>
        <source>Run to next:</source>
        <translation>Kör till nästa:</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="79"/>
        <source>Stop</source>
        <translation>Stoppa</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="80"/>
        <source>Restart</source>
        <translation>Starta om</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="88"/>
        <location filename="../run_panel.cpp" line="384"/>
        <source>Not started.</source>
        <translation>Inte startad.</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="92"/>
        <source>Guest instructions run by Step: one per Step press (an instruction the monitor emulates, or bt&apos;s translation of one guest instruction, is one).
Instructions retired on the processor: what the simulated CPU executed, as stats.json&apos;s &quot;instructions&quot;; under bt the translated code&apos;s instructions, under trap without the instructions the monitor emulates.
Events since boot: as the counter table&apos;s total; the timeline and the event table begin after the kernel load.</source>
        <translation>Gästinstruktioner körda med Stega: en per tryck på Stega (en instruktion som monitorn emulerar, eller bt:s översättning av en gästinstruktion, är en).
Instruktioner utförda på processorn: vad den simulerade processorn körde, som stats.json:s &quot;instructions&quot;; under bt den översatta kodens instruktioner, under trap utan de instruktioner monitorn emulerar.
Händelser sedan start: som räknartabellens summa; tidslinjen och händelsetabellen börjar efter att kärnan laddats.</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="114"/>
        <source>The guest&apos;s console (COM1) appears here. Click into it and type to send keys to the running guest.</source>
        <translation>Gästens konsol (COM1) visas här. Klicka i den och skriv för att skicka tangenter till den körande gästen.</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="200"/>
        <source>Could not start the guest: %1</source>
        <translation>Kunde inte starta gästen: %1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="201"/>
        <source>Not started: %1</source>
        <translation>Inte startad: %1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="206"/>
        <source>live</source>
        <translation>live</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="306"/>
        <source>shown when the run pauses or stops</source>
        <translation>visas när körningen pausar eller stannar</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="351"/>
        <source>Choose a kernel image</source>
        <translation>Välj en kärnavbild</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="354"/>
        <source>ELF kernels (*.elf);;All files (*)</source>
        <translation>ELF-kärnor (*.elf);;Alla filer (*)</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="373"/>
        <source>Resume</source>
        <translation>Fortsätt</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="386"/>
        <source>Running... events since boot: %1</source>
        <translation>Kör... händelser sedan start: %1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="391"/>
        <source>Stopped at guest EIP 0x%1</source>
        <translation>Stoppad vid gästens EIP 0x%1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="391"/>
        <source>Paused at guest EIP 0x%1</source>
        <translation>Pausad vid gästens EIP 0x%1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="394"/>
        <source>guest instructions run by Step: %1</source>
        <translation>gästinstruktioner körda med Stega: %1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="396"/>
        <source>instructions retired on the processor: %1</source>
        <translation>instruktioner utförda på processorn: %1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="397"/>
        <source>modeled cycles: %1</source>
        <translation>modellerade cykler: %1</translation>
    </message>
    <message>
        <location filename="../run_panel.cpp" line="398"/>
        <source>events since boot: %1</source>
        <translation>händelser sedan start: %1</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::ScreenView</name>
    <message>
        <location filename="../screen_view.cpp" line="33"/>
        <source>The CGA text screen (0xB8000) is shown for live runs only: run a kernel in the Run tab (or vmlab-gui --run KERNEL).</source>
        <translation>CGA-textskärmen (0xB8000) visas bara för livekörningar: kör en kärna under fliken Kör (eller vmlab-gui --run KÄRNA).</translation>
    </message>
    <message>
        <location filename="../screen_view.cpp" line="36"/>
        <source>The text buffer at 0xB8000 is not backed by guest RAM.</source>
        <translation>Textbufferten vid 0xB8000 ligger inte i gästens RAM.</translation>
    </message>
</context>
<context>
    <name>vmlab::gui::TraceFileReader</name>
    <message>
        <location filename="../trace_file_reader.cpp" line="35"/>
        <location filename="../trace_file_reader.cpp" line="40"/>
        <location filename="../trace_file_reader.cpp" line="91"/>
        <source>%1: cannot read</source>
        <translation>%1: kan inte läsa</translation>
    </message>
    <message>
        <location filename="../trace_file_reader.cpp" line="47"/>
        <source>%1: not gzip-compressed (a .gz trace starts with the bytes 1f 8b; vmlab run --trace-gzip writes them)</source>
        <translation>%1: inte gzip-komprimerad (ett .gz-spår börjar med byten 1f 8b; vmlab run --trace-gzip skriver dem)</translation>
    </message>
    <message>
        <location filename="../trace_file_reader.cpp" line="81"/>
        <source>%1: truncated gzip data after line %2 (the file was cut short: the run did not finish writing it, or the copy is incomplete)</source>
        <translation>%1: avkortade gzip-data efter rad %2 (filen tar slut för tidigt: körningen skrev inte klart den, eller kopian är ofullständig)</translation>
    </message>
    <message>
        <location filename="../trace_file_reader.cpp" line="86"/>
        <source>%1: damaged gzip data after line %2 (%3)</source>
        <translation>%1: skadade gzip-data efter rad %2 (%3)</translation>
    </message>
    <message>
        <location filename="../trace_file_reader.cpp" line="107"/>
        <source>%1, line %2: longer than 1 MiB, not a trace line</source>
        <translation>%1, rad %2: längre än 1 MiB, ingen spårrad</translation>
    </message>
</context>
</TS>
