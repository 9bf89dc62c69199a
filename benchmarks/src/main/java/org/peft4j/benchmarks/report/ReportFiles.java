package org.peft4j.benchmarks.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.peft4j.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a run into {@code <results>/<mode>/}: {@code latest.json}, {@code latest.md}, the charts,
 * and a copy of the JSON under {@code history/<start time>.json}.
 */
public final class ReportFiles {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private ReportFiles() {}

    /**
     * Writes the files.
     *
     * @param r the report
     * @param resultsRoot the results folder ({@code benchmarks/results})
     * @return the mode's folder
     * @throws IOException if a file cannot be written
     */
    public static Path write(RunReport r, Path resultsRoot) throws IOException {
        Path dir = Files.createDirectories(resultsRoot.resolve(r.mode()));
        String json = GSON.toJson(r);
        AtomicFiles.writeString(dir.resolve("latest.json"), json);
        Path history = Files.createDirectories(dir.resolve("history"));
        AtomicFiles.writeString(history.resolve(r.startedAt().replace(':', '-') + ".json"), json);
        AtomicFiles.writeString(dir.resolve("latest.md"), ReportMarkdown.render(r, ""));
        ReportCharts.writeAll(r, dir);
        return dir;
    }

    /**
     * Reads a report written by {@link #write}.
     *
     * @param file a {@code latest.json}
     * @return the report
     * @throws IOException if it cannot be read
     */
    public static RunReport read(Path file) throws IOException {
        return GSON.fromJson(Files.readString(file), RunReport.class);
    }
}
