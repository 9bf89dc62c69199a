package org.peft4j.models.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.reliability.FuzzAssertions;
import org.peft4j.core.reliability.FuzzCampaign;
import org.peft4j.core.reliability.FuzzTally;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Seeded fuzzing of the HF config.json readers ({@link HfConfigFuzzFormat}). {@code peft4j.fuzz.inputs} and
 * {@code peft4j.fuzz.seed} change the count and the seed.
 */
class HfConfigFuzzTest {

    @Test
    void everyMutatedBertConfigIsRejectedWithATypedExceptionOrIsConsistent(@TempDir Path work) throws IOException {
        run(new HfConfigFuzzFormat(false), work);
    }

    @Test
    void everyMutatedLlamaConfigIsRejectedWithATypedExceptionOrIsConsistent(@TempDir Path work) throws IOException {
        run(new HfConfigFuzzFormat(true), work);
    }

    private static void run(HfConfigFuzzFormat format, Path work) throws IOException {
        FuzzTally tally = FuzzCampaign.run(format, FuzzCampaign.seed(), FuzzCampaign.inputCount(), work);
        System.out.println("fuzz " + tally + "; rejected by " + format.rejectedBy());
        FuzzAssertions.assertClean(tally);
    }
}
