package org.peft4j.core.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Seeded fuzzing of the safetensors reader ({@link SafetensorsFuzzFormat}); {@value FuzzCampaign#INPUTS_PROPERTY}
 * and {@value FuzzCampaign#SEED_PROPERTY} change the count and the seed.
 */
class SafetensorsFuzzTest {

    @Test
    void everyMutatedFileIsRejectedWithAnIOExceptionOrReadsBackInFull(@TempDir Path work) throws IOException {
        FuzzTally tally = FuzzCampaign.run(new SafetensorsFuzzFormat(), FuzzCampaign.seed(), FuzzCampaign.inputCount(),
                work);
        System.out.println("fuzz " + tally);
        FuzzAssertions.assertClean(tally);
    }
}
