package org.peft4j.benchmarks.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

/** The registry: the rows the issue asks for, in table order, selection by id, clear errors. */
class RowRegistryTest {

    @Test
    void builtInRowsAreTheRequestedWorkloads() {
        List<String> ids = RowRegistry.load().all().stream().map(BenchmarkRow::id).toList();
        assertEquals(List.of("inference-base", "inference-lora-unmerged", "inference-lora-merged", "train-lora-r8-qv",
                "train-lora-r16-all-linear", "train-full"), ids.subList(0, 6));
    }

    @Test
    void selectKeepsTableOrder() {
        List<BenchmarkRow> rows = RowRegistry.load().select(List.of("train-full", "inference-base"));
        assertEquals(List.of("inference-base", "train-full"), rows.stream().map(BenchmarkRow::id).toList());
    }

    @Test
    void unknownRowNamesTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowRegistry.load().select(List.of("nope")));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("train-lora-r8-qv"), e.getMessage());
    }

    @Test
    void duplicateIdsAreRejected() {
        BenchmarkRow row = BuiltInRows.all().get(0);
        assertThrows(IllegalStateException.class, () -> RowRegistry.of(List.of(row, row)));
    }
}
