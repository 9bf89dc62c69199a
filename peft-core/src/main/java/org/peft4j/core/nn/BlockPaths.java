package org.peft4j.core.nn;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.util.Pair;

import org.peft4j.core.PeftException;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Names every block and parameter of a DJL tree with Hugging Face style dotted paths
 * ({@code bert.encoder.layer.0.attention.self.query}, {@code ...query.weight}) and replaces a block
 * by path.
 *
 * <p>Path segments: a {@link ModuleBlock} child is named by its registered name; a {@link
 * SequentialBlock} or {@link ParallelBlock} child by its 0-based index, as {@code nn.Sequential}
 * does; any other block's child by its DJL key without the numeric prefix DJL adds (such children can
 * be listed but not replaced).
 */
public final class BlockPaths {

    private BlockPaths() {}

    /**
     * One block of the tree with its path.
     *
     * @param path dotted path, {@code ""} for the root
     * @param block the block
     * @param parent its parent, null for the root
     * @param name its last path segment, {@code ""} for the root
     */
    public record Node(String path, Block block, Block parent, String name) {}

    /**
     * Lists every block of the tree, depth first, parents before children.
     *
     * @param root the root block
     * @return the nodes, root first
     */
    public static List<Node> walk(Block root) {
        List<Node> out = new ArrayList<>();
        walk(root, null, "", "", out);
        return out;
    }

    private static void walk(Block block, Block parent, String path, String name, List<Node> out) {
        out.add(new Node(path, block, parent, name));
        for (Map.Entry<String, Block> child : children(block).entrySet()) {
            String childPath = path.isEmpty() ? child.getKey() : path + "." + child.getKey();
            walk(child.getValue(), block, childPath, child.getKey(), out);
        }
    }

    /**
     * Returns the children of {@code block} keyed by their path segment.
     *
     * @param block any block
     * @return ordered children
     */
    public static Map<String, Block> children(Block block) {
        if (block instanceof ModuleBlock) {
            return ((ModuleBlock) block).modules();
        }
        Map<String, Block> out = new LinkedHashMap<>();
        BlockList list = block.getChildren();
        boolean indexed = block instanceof SequentialBlock || block instanceof ParallelBlock;
        for (int i = 0; i < list.size(); i++) {
            Pair<String, Block> pair = list.get(i);
            out.put(indexed ? Integer.toString(i) : stripPrefix(pair.getKey()), pair.getValue());
        }
        return out;
    }

    /**
     * Returns the manager of a block's first initialised parameter: where new arrays for the model
     * (adapter weights, scratch work on its device) belong.
     *
     * @param block the block
     * @return the manager, or null when no parameter is initialised
     */
    public static ai.djl.ndarray.NDManager parameterManager(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getManager();
            }
        }
        return null;
    }

    /**
     * Lists every parameter of the tree by dotted path ({@code <block path>.<parameter name>}).
     * A parameter shared by several blocks appears once, under its first path.
     *
     * @param root the root block
     * @return ordered map path to parameter
     */
    public static Map<String, Parameter> parameters(Block root) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        java.util.Set<Parameter> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Node node : walk(root)) {
            for (Pair<String, Parameter> p : node.block().getDirectParameters()) {
                if (seen.add(p.getValue())) {
                    String key = node.path().isEmpty() ? p.getKey() : node.path() + "." + p.getKey();
                    out.put(key, p.getValue());
                }
            }
        }
        return out;
    }

    /**
     * Returns the block at {@code path}.
     *
     * @param root the root
     * @param path a dotted path, {@code ""} for the root
     * @return the block
     * @throws PeftException naming the first missing segment and the children that exist there
     */
    public static Block get(Block root, String path) {
        if (path.isEmpty()) {
            return root;
        }
        Block current = root;
        String done = "";
        for (String segment : path.split("\\.", -1)) {
            Map<String, Block> kids = children(current);
            Block next = kids.get(segment);
            if (next == null) {
                throw new PeftException(
                        "no block '" + segment + "' under '" + done + "' (looking up '" + path + "'); children there: "
                                + kids.keySet());
            }
            done = done.isEmpty() ? segment : done + "." + segment;
            current = next;
        }
        return current;
    }

    /**
     * Replaces the block at {@code path} in its parent.
     *
     * @param root the root
     * @param path the dotted path of the block to replace (not the root)
     * @param replacement the new block
     * @return the replaced block
     * @throws PeftException if the parent keeps its children in a way that cannot be replaced
     */
    public static Block replace(Block root, String path, Block replacement) {
        if (path.isEmpty()) {
            throw new PeftException("cannot replace the root block; wrap it instead");
        }
        int dot = path.lastIndexOf('.');
        String parentPath = dot < 0 ? "" : path.substring(0, dot);
        String name = path.substring(dot + 1);
        Block parent = get(root, parentPath);
        if (parent instanceof ModuleBlock) {
            return ((ModuleBlock) parent).replaceModule(name, replacement);
        }
        if (parent instanceof SequentialBlock || parent instanceof ParallelBlock) {
            int index;
            try {
                index = Integer.parseInt(name);
            } catch (NumberFormatException e) {
                throw new PeftException("'" + path + "': children of " + parent.getClass().getSimpleName() + " are indexed");
            }
            BlockList list = childrenField(parent);
            if (index < 0 || index >= list.size()) {
                throw new PeftException("'" + path + "': index out of range 0.." + (list.size() - 1));
            }
            String key = list.keyAt(index);
            Block old = list.remove(index);
            list.add(index, key, replacement);
            return old;
        }
        throw new PeftException(
                "cannot replace '"
                        + path
                        + "': its parent "
                        + parent.getClass().getName()
                        + " calls its children through private fields. Supported parents: ModuleBlock (peft4j models), "
                        + "SequentialBlock, ParallelBlock");
    }

    private static BlockList childrenField(Block parent) {
        try {
            Field f = AbstractBlock.class.getDeclaredField("children");
            f.setAccessible(true);
            return (BlockList) f.get(parent);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new PeftException("cannot access the children of " + parent.getClass().getName(), e);
        }
    }

    private static String stripPrefix(String key) {
        int i = 0;
        while (i < key.length() && Character.isDigit(key.charAt(i))) {
            i++;
        }
        return i < key.length() ? key.substring(i) : key;
    }
}
