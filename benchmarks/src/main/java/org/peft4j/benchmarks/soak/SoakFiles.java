package org.peft4j.benchmarks.soak;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.peft4j.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a soak run into {@code <results>/soak/}: {@code latest.json}, {@code latest.md}, {@code rss.png},
 * and a copy of the JSON under {@code history/<start time>.json}.
 */
public final class SoakFiles {

    /** The mode's folder name under the results folder. */
    public static final String MODE = "soak";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private SoakFiles() {}

    /**
     * Writes the files.
     *
     * @param r the report
     * @param resultsRoot the results folder ({@code benchmarks/results})
     * @return the {@code soak} folder
     * @throws IOException if a file cannot be written
     */
    public static Path write(SoakReport r, Path resultsRoot) throws IOException {
        Path dir = Files.createDirectories(resultsRoot.resolve(MODE));
        String json = GSON.toJson(r);
        AtomicFiles.writeString(dir.resolve("latest.json"), json);
        Path history = Files.createDirectories(dir.resolve("history"));
        AtomicFiles.writeString(history.resolve(r.startedAt().replace(':', '-') + ".json"), json);
        AtomicFiles.writeString(dir.resolve("latest.md"), r.markdown(""));
        SoakChart.write(r, dir.resolve("rss.png"));
        return dir;
    }
}
