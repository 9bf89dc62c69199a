package org.peft4j.benchmarks.workload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The batch: BERT's [CLS] ... [SEP] framing, ids inside the vocabulary, reproducible from the seed. */
class WorkloadInputsTest {

    @Test
    void sequencesAreFramedAndInsideTheVocabulary() {
        WorkloadInputs in = WorkloadInputs.random(3, 5, 30522, 2, 1);
        for (int b = 0; b < 3; b++) {
            assertEquals(WorkloadInputs.CLS, in.ids()[b * 5]);
            assertEquals(WorkloadInputs.SEP, in.ids()[b * 5 + 4]);
            for (int t = 1; t < 4; t++) {
                long id = in.ids()[b * 5 + t];
                assertTrue(id >= WorkloadInputs.FIRST_WORD_ID && id < 30522, "id " + id);
            }
        }
        assertEquals(15, in.tokens());
    }

    @Test
    void theSameSeedGivesTheSameBatch() {
        assertArrayEquals(WorkloadInputs.random(2, 8, 1000 + WorkloadInputs.FIRST_WORD_ID, 2, 9).ids(),
                WorkloadInputs.random(2, 8, 1000 + WorkloadInputs.FIRST_WORD_ID, 2, 9).ids());
    }
}
