package org.peft4j.lora.reliability;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftModel;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The process {@link KillDuringSaveTest} kills: saves {@link VersionedAdapter} versions {@code first}, {@code
 * first + 1}, ... into one folder until it is killed. On standard output it prints {@code ready} once the model is
 * built and one save into a sibling folder has warmed up the code, {@code saving <v>} before each save and {@code
 * saved <v> <nanoseconds>} after it.
 */
public final class SaveLoopChild {

    private SaveLoopChild() {
    }

    /**
     * Runs the loop.
     *
     * @param args the adapter folder and the first version
     * @throws IOException if a save fails
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        long version = Long.parseLong(args[1]);
        Engine.getInstance().setRandomSeed(1);
        try (NDManager manager = NDManager.newBaseManager()) {
            PeftModel model = PeftModel.wrap(VersionedAdapter.base(manager), VersionedAdapter.config());
            VersionedAdapter.Writer writer = new VersionedAdapter.Writer(model);
            // one save elsewhere first, so that class loading and compilation do not stretch the saves under test
            writer.set(version);
            model.save(dir.resolveSibling(dir.getFileName() + "-warm-up"));
            System.out.println("ready");
            System.out.flush();
            while (true) {
                writer.set(version);
                System.out.println("saving " + version);
                System.out.flush();
                long start = System.nanoTime();
                model.save(dir);
                System.out.println("saved " + version + " " + (System.nanoTime() - start));
                System.out.flush();
                version++;
            }
        }
    }
}
