// 04 - Model soups and merging: fully fine-tune three MiniLM spam classifiers from one start, save them as
// safetensors checkpoints, then average them (uniform soup), keep only the ones that help on validation
// (greedy soup) and TIES-merge their task vectors; every merge reads the checkpoints tensor by tensor.
// Run: bin/notebook 04-soups-and-merging     (about 2.5 minutes on 2 cores; -R-Dpeft4j.notebook.tiny=true for a smoke run)
// It writes eight 90 MB checkpoints to output/notebooks/04-soups-and-merging.
import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.nn.Parameter;
import java.nio.file.*;
import java.util.*;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.*;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.examples.train.*;
import org.peft4j.merge.checkpoint.*;
import org.peft4j.merge.method.*;
import org.peft4j.merge.soup.*;
import org.peft4j.models.bert.BertSentenceEmbedder;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;

boolean tiny = Boolean.getBoolean("peft4j.notebook.tiny");
long started = System.nanoTime();
Path out = Path.of(System.getProperty("peft4j.notebook.output", "output/notebooks")).resolve("04-soups-and-merging");
Files.createDirectories(out);
NDManager manager = NDManager.newBaseManager();
TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(tiny ? 16 : 48, TextTokenizer.Padding.LONGEST);
BatchEncoder encoder = (texts, m) -> tokenizer.encode(texts, m).toNDList();

// Stratified samples of the bundled splits: ingredients train on `train`, the greedy soup chooses on
// `validation`, and `test` is only reported.
LabelledTextSet all = BundledData.spamAssassin();
LabelledTextSet train = all.split("train").stratifiedSample(tiny ? 16 : 256, 7);
LabelledTextSet validation = all.split("validation").stratifiedSample(tiny ? 16 : 160, 7);
LabelledTextSet test = all.split("test").stratifiedSample(tiny ? 16 : 320, 7);
System.out.println("train " + train.countsBy(t -> t.label()) + ", validation " + validation.size() + ", test " + test.size());

// One classifier (MiniLM encoder, mean pooling, new 2-way head); every model below is loaded into it.
// Checkpoint keys are its block paths: bert.embeddings..., bert.encoder.layer.N..., classifier.weight [2, 384].
Engine.getInstance().setRandomSeed(7);   // the head initialisation
MeanPoolingClassifier model = new MeanPoolingClassifier(PretrainedModels.miniLmL6V2Encoder(manager), 2, manager);
Map<String, Parameter> parameters = BlockPaths.parameters(model);

void save(Path file) throws java.io.IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    parameters.forEach((key, p) -> tensors.put(key, p.getArray()));
    SafetensorsWriter.save(file, tensors, Map.of("format", "pt"));
}
// Overwrites the classifier's weights with a checkpoint's, in place (frozen first: no gradient).
void load(CheckpointView view) {
    parameters.values().forEach(p -> p.freeze(true));
    for (String key : view.names()) {
        try (NDManager scratch = manager.newSubManager()) {
            parameters.get(key).getArray().set(new NDIndex("..."), view.load(key, scratch));
        }
    }
}
double accuracy(LabelledTextSet set) {
    return FineTuner.accuracy(FineTuner.predict(model, set, encoder, 32, manager));
}

// The shared start: the pretrained encoder and a linear-probe head, i.e. the head alone trained on the frozen
// encoder's mean-pooled features (computed once), the way the soups paper starts its fine-tunes (LP-FT).
Map<String, float[]> features = new HashMap<>();
List<LabelledText> items = train.items();
for (int i = 0; i < items.size(); i += 32) {
    List<String> texts = items.subList(i, Math.min(items.size(), i + 32)).stream().map(LabelledText::text).toList();
    try (NDManager batch = manager.newSubManager()) {
        NDList inputs = encoder.encode(texts, batch);
        NDArray hidden = BlockPaths.get(model, "bert").forward(new ParameterStore(batch, false), inputs, false).get(0);
        float[] rows = BertSentenceEmbedder.meanPool(hidden, inputs.get(1), false).toFloatArray();
        int width = rows.length / texts.size();
        for (int j = 0; j < texts.size(); j++) features.put(texts.get(j), Arrays.copyOfRange(rows, j * width, (j + 1) * width));
    }
}
BatchEncoder cachedFeatures = (texts, m) -> {
    int width = features.get(texts.get(0)).length;
    float[] rows = new float[texts.size() * width];
    for (int j = 0; j < texts.size(); j++) System.arraycopy(features.get(texts.get(j)), 0, rows, j * width, width);
    return new NDList(m.create(rows, new Shape(texts.size(), width)));
};
parameters.forEach((key, p) -> p.freeze(!key.startsWith("classifier.")));
FineTuner.train(BlockPaths.get(model, "classifier"), train, null, cachedFeatures,
        new FineTuner.Options(10, 32, 3e-3f, 0.01f, 0.06, 0, 7, false, 0), manager, "probe", null);
save(out.resolve("start.safetensors"));

// 1) Three full fine-tunes from the same start: two sensible learning rates and one far too high.
record Recipe(String name, float learningRate, long seed) {}
List<Recipe> recipes = List.of(new Recipe("lr 3e-5 seed 1", 3e-5f, 1), new Recipe("lr 1e-4 seed 2", 1e-4f, 2),
        new Recipe("lr 1e-3 seed 3", 1e-3f, 3));
Map<String, double[]> measured = new LinkedHashMap<>();   // name -> {validation, test} accuracy after training
try (CheckpointView start = SafetensorsCheckpoint.open(out.resolve("start.safetensors"))) {
    for (Recipe r : recipes) {
        System.out.printf("fine-tuning %s (%.0f s so far)%n", r.name(), (System.nanoTime() - started) / 1e9);
        load(start);
        parameters.values().forEach(p -> p.freeze(false));   // full fine-tuning: every parameter trains
        Engine.getInstance().setRandomSeed((int) r.seed());  // dropout
        FineTuner.train(model, train, null, encoder, new FineTuner.Options(1, tiny ? 8 : 16, r.learningRate(), 0.01f, 0.1, 0,
                r.seed(), false, tiny ? 2 : 0), manager, "train", null);
        save(out.resolve(r.name().replace(' ', '-') + ".safetensors"));
        parameters.values().forEach(p -> p.freeze(true));
        measured.put(r.name(), new double[] {accuracy(validation), accuracy(test)});
    }
}

// 2) Open the checkpoints as lazy views (a tensor is read only when asked for).
CheckpointView start = SafetensorsCheckpoint.open(out.resolve("start.safetensors"));
List<SoupIngredient> ingredients = new ArrayList<>();
for (Recipe r : recipes) {
    ingredients.add(new SoupIngredient(r.name(), SafetensorsCheckpoint.open(out.resolve(r.name().replace(' ', '-') + ".safetensors"))));
}
List<CheckpointView> views = ingredients.stream().map(SoupIngredient::checkpoint).toList();

// Greedy soup (the paper's rule: keep an ingredient if the soup with it scores >= on validation).
// The evaluator loads each candidate (a lazy average of ingredients, computed tensor by tensor as it is read)
// into the classifier and returns validation accuracy; an ingredient alone was already scored after training.
Map<CheckpointView, Double> ingredientScores = new IdentityHashMap<>();
for (SoupIngredient in : ingredients) ingredientScores.put(in.checkpoint(), measured.get(in.name())[0]);
GreedySoupReport greedy = GreedySoup.paper().cook(ingredients, candidate -> {
    if (ingredientScores.containsKey(candidate)) return ingredientScores.get(candidate);
    load(candidate);
    return accuracy(validation);
});
for (SoupStep step : greedy.steps()) {
    System.out.printf("greedy soup: try %-16s -> val %.4f, %s%n", step.ingredient(), step.candidateScore(), step.accepted() ? "kept" : "left out");
}

// Write the soups, and TIES merges of the task vectors (ingredient - start), each trimmed to its top 20%
// (the TIES paper's k = 20), weights 1: one of all three, one without the last (the learning rate too high).
StreamingMerger merger = StreamingMerger.builder().listener(MergeProgressListener.silent()).build();
merger.write(UniformSoup.of(views), out.resolve("uniform-soup.safetensors"));
merger.write(greedy.soup(), out.resolve("greedy-soup.safetensors"));
merger.merge(start, views, TaskVectorMerge.of(Ties.of(0.2, 1, 1, 1)), out.resolve("ties.safetensors"));
merger.merge(start, views.subList(0, 2), TaskVectorMerge.of(Ties.of(0.2, 1, 1)), out.resolve("ties-first-two.safetensors"));

// 3) One table: validation and test accuracy of each model; the merges are read back from their files.
System.out.printf("%n%-34s %10s %10s%n", "model", "val acc", "test acc");
for (Recipe r : recipes) System.out.printf("%-34s %9.2f%% %9.2f%%%n", "ingredient " + r.name(), 100 * measured.get(r.name())[0], 100 * measured.get(r.name())[1]);
void row(String name, CheckpointView view, Double knownValidation) {
    load(view);
    double val = knownValidation != null ? knownValidation : accuracy(validation);
    System.out.printf("%-34s %9.2f%% %9.2f%%%n", name, 100 * val, 100 * accuracy(test));
}
try (CheckpointView uniform = SafetensorsCheckpoint.open(out.resolve("uniform-soup.safetensors"));
        CheckpointView soup = SafetensorsCheckpoint.open(out.resolve("greedy-soup.safetensors"));
        CheckpointView ties = SafetensorsCheckpoint.open(out.resolve("ties.safetensors"));
        CheckpointView tiesTwo = SafetensorsCheckpoint.open(out.resolve("ties-first-two.safetensors"))) {
    row("uniform soup (all " + views.size() + ")", uniform, null);
    row("greedy soup (" + greedy.kept().size() + " kept)", soup, greedy.finalScore());
    row("TIES, all " + views.size(), ties, null);
    row("TIES, without " + recipes.get(2).name(), tiesTwo, null);
}
System.out.println("greedy soup kept " + greedy.kept());

// 4) Checks that hold whatever the data:
//  - the greedy soup scores at least its best ingredient on validation (it starts there and only accepts >=);
//  - the uniform soup's tensors are the mean of the ingredients' (float32 rounding only);
//  - each TIES output has exactly the start's keys and shapes.
double bestIngredient = Collections.max(greedy.individualScores().values());
List<String> failures = new ArrayList<>();
if (greedy.finalScore() < bestIngredient) failures.add("greedy soup " + greedy.finalScore() + " < best ingredient " + bestIngredient);
try (NDManager check = manager.newSubManager();
        CheckpointView uniform = SafetensorsCheckpoint.open(out.resolve("uniform-soup.safetensors"));
        CheckpointView ties = SafetensorsCheckpoint.open(out.resolve("ties.safetensors"));
        CheckpointView tiesTwo = SafetensorsCheckpoint.open(out.resolve("ties-first-two.safetensors"))) {
    for (String key : List.of("classifier.weight", "bert.encoder.layer.3.attention.self.query.weight")) {
        NDArray sum = views.get(0).load(key, check);
        for (CheckpointView v : views.subList(1, views.size())) sum = sum.add(v.load(key, check));
        // the same float32 numbers summed in another order: within a few ulps of the written mean
        if (!uniform.load(key, check).allClose(sum.div(views.size()), 1e-5, 1e-7, false)) failures.add("uniform soup '" + key + "' is not the mean");
    }
    for (CheckpointView merged : List.of(ties, tiesTwo)) {
        if (!Set.copyOf(merged.names()).equals(Set.copyOf(start.names()))) failures.add(merged + ": keys differ from the start's");
        for (String key : start.names()) {
            if (!merged.spec(key).shape().equals(start.spec(key).shape())) failures.add(merged + ": shape of '" + key + "'");
        }
    }
}
start.close();
views.forEach(CheckpointView::close);
tokenizer.close();
manager.close();
if (!failures.isEmpty()) throw new AssertionError("soup/merge checks failed: " + failures);
System.out.println("files: " + Files.list(out).map(p -> p.getFileName().toString()).sorted().toList());
System.out.printf("%.0f s%n", (System.nanoTime() - started) / 1e9);
System.out.println("NOTEBOOK OK");
/exit
