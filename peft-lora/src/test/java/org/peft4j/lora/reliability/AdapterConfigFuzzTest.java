package org.peft4j.lora.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.reliability.FuzzAssertions;
import org.peft4j.core.reliability.FuzzCampaign;
import org.peft4j.core.reliability.FuzzTally;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Seeded fuzzing of the adapter_config.json reader ({@link AdapterConfigFuzzFormat}); here, where LoRA is
 * registered, so that mutated configs reach the method's own parsing and validation. {@code peft4j.fuzz.inputs}
 * and {@code peft4j.fuzz.seed} change the count and the seed.
 */
class AdapterConfigFuzzTest {

    @Test
    void everyMutatedConfigIsRejectedWithAnIOExceptionOrReadsBackFaithfully(@TempDir Path work) throws IOException {
        FuzzTally tally;
        long warnings;
        try (QuietStderr quiet = new QuietStderr()) {
            tally = FuzzCampaign.run(new AdapterConfigFuzzFormat(), FuzzCampaign.seed(), FuzzCampaign.inputCount(),
                    work);
            warnings = quiet.lines();
        }
        System.out.println("fuzz " + tally + "; " + warnings + " log lines (unknown-field warnings) discarded");
        FuzzAssertions.assertClean(tally);
    }
}
