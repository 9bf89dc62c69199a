// 03 - Inspect an adapter written by Hugging Face PEFT (Python) and run it here.
// Run: bin/notebook 03-inspect-peft-adapter
// Any other adapter folder (e.g. the quickstart's): bin/notebook 03-inspect-peft-adapter -R-Dpeft4j.notebook.adapter=output/quickstart/adapter
import ai.djl.ndarray.*;
import ai.djl.training.ParameterStore;
import java.nio.file.*;
import java.util.*;
import org.peft4j.core.PeftModel;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.io.*;
import org.peft4j.models.bert.*;
import org.peft4j.models.checkpoint.LoadOptions;

Path data = Path.of(System.getProperty("peft4j.notebook.data", "examples/notebooks/data"));
String chosen = System.getProperty("peft4j.notebook.adapter");
Path adapter = chosen == null ? data.resolve("tiny-bert-lora_qv") : Path.of(chosen);
System.out.println("adapter folder: " + adapter.toAbsolutePath());

// The config PEFT wrote (adapter_config.json), parsed with PEFT's field names and defaults:
var config = AdapterFiles.readConfig(adapter);
System.out.println(config.peftType() + " targets=" + config.targets().targetModules() + " modules_to_save=" + config.modulesToSave());
System.out.println(AdapterFiles.configJson(config));

// Its tensors (adapter_model.safetensors): PEFT's keys, [r, in] for lora_A and [out, r] for lora_B.
try (SafetensorsReader r = SafetensorsReader.open(adapter.resolve(AdapterFiles.WEIGHTS_FILE))) {
    System.out.println("metadata " + r.metadata());
    for (TensorInfo t : r.tensors()) {
        float[] v = r.readFloats(t.name());
        double norm = 0;
        for (float x : v) norm += x * x;
        System.out.printf("%-75s %s %-8s |.|=%.4f%n", t.name(), t.dtype().fileName(), Arrays.toString(t.shape()), Math.sqrt(norm));
    }
}

// Run it on the tiny BERT it was trained for, with and without the adapter (only for the bundled PEFT adapter:
// another adapter needs its own base model, e.g. all-MiniLM-L6-v2 for the quickstart's).
void runOnTinyBert() throws Exception {
    NDManager manager = NDManager.newBaseManager();
    var base = BertCheckpoints.loadForSequenceClassification(data.resolve("tiny-bert"), manager, LoadOptions.strict()).model();
    var in = com.google.gson.JsonParser.parseString(Files.readString(data.resolve("tiny-bert/input.json"))).getAsJsonObject();
    java.util.function.Function<String, long[]> ids = k -> in.getAsJsonArray(k).asList().stream().flatMap(r -> r.getAsJsonArray().asList().stream()).mapToLong(e -> e.getAsLong()).toArray();
    ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(3, 9);
    NDList input = new NDList(manager.create(ids.apply("input_ids"), shape), manager.create(ids.apply("attention_mask"), shape), manager.create(ids.apply("token_type_ids"), shape));
    PeftModel peft = PeftModel.load(base, adapter, false);
    NDArray withAdapter = peft.block().forward(new ParameterStore(manager, false), input, false).get("logits");
    NDArray without;
    try (var off = peft.disableAdapters()) {
        without = peft.block().forward(new ParameterStore(manager, false), input, false).get("logits");
    }
    System.out.println("logits with the PEFT adapter:    " + Arrays.toString(withAdapter.toFloatArray()));
    System.out.println("logits with adapters disabled:   " + Arrays.toString(without.toFloatArray()));
    manager.close();
}
if (chosen == null) runOnTinyBert(); else System.out.println("(not run: the tiny BERT of this notebook is not its base model)");
System.out.println("NOTEBOOK OK");
/exit
