package org.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimate;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.models.testing.Compare;

import java.util.List;
import java.util.Map;

/**
 * LoRA-SB's update estimate on the tiny BERT written by transformers. The BERT encoder runs each layer
 * in a sub-manager that it closes when the layer ends, so whatever the estimate keeps from the forward
 * pass for after the backward pass must live elsewhere; the estimate must still equal the textbook
 * route (the target weights themselves requiring gradients).
 */
class LoraSbOnBertTest {

    private static final int RANK = 2;
    private static final float ETA = 0.25f; // lr 0.5 over 2 warm-up steps

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Softmax cross-entropy on the classifier's logits (the model also returns hidden states and the pooler output). */
    private static Loss logitsLoss() {
        Loss ce = Loss.softmaxCrossEntropyLoss();
        return new Loss("logits-ce") {
            @Override
            public NDArray evaluate(NDList labels, NDList predictions) {
                return ce.evaluate(labels, new NDList(predictions.get("logits")));
            }
        };
    }

    private Batch batch() {
        NDList data = TinyBertTest.input(manager);
        NDList labels = new NDList(manager.create(new long[] {0, 2, 1}));
        return new Batch(manager.newSubManager(), data, labels, 3, Batchifier.STACK, Batchifier.STACK, 0, 1);
    }

    private BertForSequenceClassification load() {
        return BertCheckpoints.loadForSequenceClassification(TinyBertTest.CHECKPOINT, manager,
                org.peft4j.models.checkpoint.LoadOptions.strict()).model();
    }

    @Test
    void estimateOnTheEncoderEqualsTheTruncatedSignOfTheWeightGradient() {
        LoraSbConfig config = LoraSbConfig.builder().r(RANK).targetModules("query", "value").numSamples(3)
                .estimationSchedule(0.5, 2).build();
        // the same dropout masks on both routes: the probes draw no random numbers
        Engine.getInstance().setRandomSeed(7);
        // the estimator closes every batch it takes
        UpdateEstimate estimate = UpdateEstimator.estimate(load(), config, List.of(batch()).iterator(), logitsLoss(), null);
        Engine.getInstance().setRandomSeed(7);
        BertForSequenceClassification model = load();
        Map<String, Parameter> params = BlockPaths.parameters(model);
        params.values().forEach(p -> p.freeze(true));
        try (estimate) {
            assertEquals(3, estimate.samples());
            assertEquals(4, estimate.paths().size(), "query and value of the 2 layers: " + estimate.paths());
            estimate.paths().forEach(p -> params.get(p + ".weight").freeze(false));
            try (Batch b = batch(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = model.forward(new ParameterStore(b.getManager(), false), b.getData(), true);
                gc.backward(logitsLoss().evaluate(b.getLabels(), out).div(3));
            }
            for (String path : estimate.paths()) {
                NDArray update = params.get(path + ".weight").getArray().getGradient().sign().mul(-ETA);
                UpdateEstimate.LayerUpdate u = estimate.layer(path);
                float[] ours = u.u().mul(u.s().reshape(1, RANK)).matMul(u.vt()).toFloatArray();
                try (SvdResult full = Svd.full().decompose(update, manager)) {
                    float[] reference = full.u().get(":, :" + RANK).mul(full.s().get(":" + RANK).reshape(1, RANK))
                            .matMul(full.vt().get(":" + RANK + ", :")).toFloatArray();
                    // entries of ΔW are ±0.25 on 32 x 32 (||ΔW||₂ <= 8); two float32 routes and SVDs agree to ~1e-6
                    assertTrue(Compare.maxAbsDiff(reference, ours) < 1e-5, path + ": " + Compare.maxAbsDiff(reference, ours));
                }
            }
        }
    }
}
