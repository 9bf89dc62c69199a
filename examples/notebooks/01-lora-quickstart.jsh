// 01 - LoRA quickstart: fine-tune all-MiniLM-L6-v2 on the bundled ham/spam corpus, from JShell.
// Run: bin/notebook 01-lora-quickstart        (about 8 minutes on 2 cores; set -R-Dpeft4j.notebook.tiny=true for a 1-minute smoke run)
import java.nio.file.*;
import java.util.*;
import org.peft4j.examples.quickstart.*;

boolean tiny = Boolean.getBoolean("peft4j.notebook.tiny");
Path out = Path.of(System.getProperty("peft4j.notebook.output", "output/notebooks")).resolve("01-lora-quickstart");

// The quickstart's defaults: LoRA r=8, alpha=16, dropout 0.1 on query/value, one epoch, 64 tokens.
QuickstartOptions d = QuickstartOptions.defaults();
QuickstartOptions options = new QuickstartOptions("lora", d.rank(), d.alpha(), d.dropout(), d.targets(), d.epochs(),
        d.learningRate(), d.headLearningRate(), d.batchSize(), tiny ? 16 : d.maxLength(), null, out, d.seed(),
        tiny ? 32 : 0, tiny ? 32 : 0, "spam", List.of("ham", "spam"));

// Trains a head-only baseline, then LoRA (+ the head), prints the comparison table and writes
// the adapter (PEFT format), the merged model, metrics.json and training.png into `out`.
QuickstartResult result = new Quickstart(options, System.out).run();

System.out.printf("LoRA test accuracy %.2f%% vs head-only %.2f%%%n", 100 * result.adapted().accuracy(), 100 * result.headOnly().accuracy());
System.out.println("files: " + Files.list(out).map(p -> p.getFileName().toString()).sorted().toList());
System.out.println("NOTEBOOK OK");
/exit
