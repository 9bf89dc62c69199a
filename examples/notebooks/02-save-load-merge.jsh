// 02 - Save, load and merge a LoRA adapter: the adapter written here is PEFT's format, loads back
// bit-identically, and merging it into the weights gives the same outputs with no extra cost.
// Run: bin/notebook 02-save-load-merge
import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.nio.file.*;
import java.util.*;
import org.peft4j.core.PeftModel;
import org.peft4j.lora.LoraConfig;
import org.peft4j.models.bert.*;
import org.peft4j.models.checkpoint.*;
import org.peft4j.models.pretrained.*;
import org.peft4j.models.tokenize.TextTokenizer;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.examples.data.*;
import org.peft4j.examples.train.*;

boolean tiny = Boolean.getBoolean("peft4j.notebook.tiny");
Path out = Path.of(System.getProperty("peft4j.notebook.output", "output/notebooks")).resolve("02-save-load-merge");
Engine.getInstance().setRandomSeed(7);
NDManager manager = NDManager.newBaseManager();
TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(tiny ? 16 : 64, TextTokenizer.Padding.LONGEST);
BatchEncoder encoder = (texts, m) -> tokenizer.encode(texts, m).toNDList();

// A fresh MiniLM classifier (encoder from the Maven Central jar, new 2-way head).
MeanPoolingClassifier newClassifier() {
    BertModel bert = new BertModel(PretrainedModels.miniLmL6V2Config(), false);
    try (TensorSource w = PretrainedModels.miniLmL6V2Weights()) {
        CheckpointLoader.load(bert, w, manager, LoadOptions.strict());
    }
    Engine.getInstance().setRandomSeed(7);   // same head initialisation every time
    return new MeanPoolingClassifier(bert, 2, manager);
}

// 1) wrap with LoRA and train a few steps on some emails
LabelledTextSet data = BundledData.spamAssassin().split("train").stratifiedSample(tiny ? 16 : 256, 7);
PeftModel peft = PeftModel.wrap(newClassifier(), LoraConfig.builder().r(8).loraAlpha(16)
        .targetModules("query", "value").modulesToSave("classifier").build());
System.out.println(peft.trainableParameters());
FineTuner.train(peft.block(), data, null, encoder,
        new FineTuner.Options(1, 16, 1e-3f, 0.01f, 0.1, 0, 7, false, tiny ? 1 : 16), manager, "lora", null);

// 2) save in PEFT's format
peft.save(out.resolve("adapter"));
System.out.println("saved: " + Files.list(out.resolve("adapter")).map(p -> p.getFileName().toString()).sorted().toList());

// 3) load it onto a fresh base and compare outputs on a batch of texts
List<String> texts = List.of("Win a free cruise, click now!!!", "Minutes of Tuesday's meeting are attached.");
float[] logits(Block model) {
    try (NDManager batch = manager.newSubManager()) {
        return model.forward(new ParameterStore(batch, false), encoder.encode(texts, batch), false).singletonOrThrow().toFloatArray();
    }
}
float[] trained = logits(peft.block());
PeftModel reloaded = PeftModel.load(newClassifier(), out.resolve("adapter"), false);
float[] again = logits(reloaded.block());
System.out.println("identical after save/load: " + Arrays.equals(trained, again));

// 4) merge: W += s·B·A, adapters removed; the outputs stay the same (float32 rounding only)
Block merged = reloaded.mergeAndUnload(true);
float[] m = logits(merged);
double diff = 0;
for (int i = 0; i < m.length; i++) diff = Math.max(diff, Math.abs(m[i] - trained[i]));
System.out.printf("max |merged - unmerged| = %.2e%n", diff);
HfCheckpoints.save(out.resolve("merged-model"), PretrainedModels.miniLmL6V2Config().toJson("BertModel"), merged);
if (!Arrays.equals(trained, again) || diff > 1e-4) throw new AssertionError("save/load/merge check failed");
manager.close();
System.out.println("NOTEBOOK OK");
/exit
