package org.peft4j.models.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.reliability.FuzzAssertions;
import org.peft4j.core.reliability.FuzzCampaign;
import org.peft4j.core.reliability.FuzzTally;
import org.peft4j.models.onnx.OnnxFormatException;
import org.peft4j.models.onnx.OnnxWeights;
import org.peft4j.models.onnx.proto.ModelProto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Seeded fuzzing of the ONNX initializer reader ({@link OnnxWeightsFuzzFormat}), and its refusal of a tensor whose
 * dims claim far more elements than the file holds. {@code peft4j.fuzz.inputs} and {@code peft4j.fuzz.seed} change
 * the count and the seed.
 */
class OnnxWeightsFuzzTest {

    @Test
    void everyMutatedModelIsRejectedWithATypedExceptionOrLoadsEveryWeightWithItsShape(@TempDir Path work)
            throws IOException {
        try (OnnxWeightsFuzzFormat format = new OnnxWeightsFuzzFormat()) {
            FuzzTally tally = FuzzCampaign.run(format, FuzzCampaign.seed(), FuzzCampaign.inputCount(), work);
            System.out.println("fuzz " + tally + "; rejected by " + format.rejectedBy());
            FuzzAssertions.assertClean(tally);
        }
    }

    @Test
    void weightWhoseDimsClaimATrillionElementsIsRejectedBeforeAllocating() {
        // [10^6, 10^6] float32 would need 4 TB; the file holds 12 bytes of data. Rejecting it within the fuzz
        // bound shows the size is compared before any array of the claimed size is made.
        ModelProto.Builder m = OnnxWeightsFuzzFormat.model().toBuilder();
        m.getGraphBuilder().getInitializerBuilder(4).clearFloatData().clearDims().addDims(1_000_000)
                .addDims(1_000_000).setRawData(OnnxWeightsFuzzFormat.raw(3));
        OnnxWeights w = OnnxWeights.read(new ByteArrayInputStream(m.build().toByteArray()), "huge.onnx");
        assertEquals(new Shape(1_000_000, 1_000_000), w.shape("norm.weight"));
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            OnnxFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> assertThrows(OnnxFormatException.class, () -> w.load("norm.weight", manager)));
            assertTrue(e.getMessage().contains("norm.weight") && e.getMessage().contains("1000000000000"),
                    e.getMessage());
        }
    }

    @Test
    void negativeOrOverflowingDimsAreRejectedNamingTheInitializer() {
        // a negative dim, and dims whose product wraps around to 0 in 64 bits (2^62 * 4), which would otherwise
        // match an empty raw_data
        long[][] bad = {{-4, 5}, {4_611_686_018_427_387_904L, 4}};
        for (long[] dims : bad) {
            ModelProto.Builder m = OnnxWeightsFuzzFormat.model().toBuilder();
            var init = m.getGraphBuilder().getInitializerBuilder(4).clearFloatData().clearDims();
            for (long d : dims) {
                init.addDims(d);
            }
            init.setRawData(com.google.protobuf.ByteString.EMPTY);
            String name = init.getName();
            OnnxFormatException e = assertThrows(OnnxFormatException.class,
                    () -> OnnxWeights.read(new ByteArrayInputStream(m.build().toByteArray()), "bad.onnx"));
            assertTrue(e.getMessage().contains("bad.onnx") && e.getMessage().contains(name), e.getMessage());
        }
    }
}
