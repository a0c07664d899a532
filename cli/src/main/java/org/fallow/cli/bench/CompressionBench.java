package org.fallow.cli.bench;

import org.fallow.abi.bench.HeapImageCorpus;
import org.fallow.abi.bench.PageCopyFloor;
import org.fallow.hypervisor.tmem.bench.CompressionRows;
import org.fallow.xc.bench.TmemSocketBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code fallow bench compression}: issue 16's compression goal (>= 2x pages at <= 3x CPU on the heap-image corpus)
 * in both views, one run, one corpus: the engine rows of {@code bench tmem} (pages charged; the measuring thread's CPU
 * per put against the uncompressed put over the same engine path), then {@code bench tmem-socket --content heap
 * --codecs off,words,lz4,lzo} over the same corpus pages (the hypervisor process's CPU per put against its uncompressed
 * put over the whole hypercall path), then one summary line per view.
 */
@Command(name = "compression", mixinStandardHelpOptions = true,
        description = "Issue 16's compression goal in one run: engine rows (pages, CPU per put) and the hypervisor's CPU per put over the socket.")
public final class CompressionBench implements Callable<Integer> {
    @Option(names = "--corpus-pages", defaultValue = "8192", description = "Heap-image corpus pages (default ${DEFAULT-VALUE}).")
    int corpusPages;

    @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds of the engine rows (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--socket-rounds", defaultValue = "5", description = "Measured rounds per codec over the socket, the codecs taking turns (default ${DEFAULT-VALUE}).")
    int socketRounds;

    @Option(names = "--socket-pages", defaultValue = "16384", description = "Pages put then got per socket round (default ${DEFAULT-VALUE}).")
    int socketPages;

    @Option(names = "--batch", defaultValue = "64", description = "tmem_ops per multicall over the socket (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-warmup-passes", defaultValue = "20",
            description = "Socket warm-up passes at most per codec, until the hypervisor's JIT settles (default ${DEFAULT-VALUE}).")
    int maxWarmupPasses;

    PrintStream out = System.out;

    @Override public Integer call() throws Exception {
        if (corpusPages < 1 || rounds < 1 || socketRounds < 1 || socketPages < 1 || maxWarmupPasses < 1 || batch < 1 || batch > 64)
            throw new IllegalArgumentException("--corpus-pages, --rounds, --socket-rounds, --socket-pages, --max-warmup-passes >= 1, --batch in 1..64");
        out.printf(Locale.ROOT, "compression bench: --corpus-pages %d --rounds %d --socket-rounds %d --socket-pages %d --batch %d, JDK %s, load %s%n",
                corpusPages, rounds, socketRounds, socketPages, batch, Runtime.version(), PageCopyFloor.load());
        HeapImageCorpus.Corpus corpus = HeapImageCorpus.capture(corpusPages);
        out.println("== engine (bench tmem's compression rows)");
        CompressionRows.Rows engine = new CompressionRows(out, rounds).run(corpus);
        out.println("== over the socket (bench tmem-socket --content heap, the same corpus pages)");
        TmemSocketBench socket = new TmemSocketBench().corpus(corpus.pages());
        int rc = new CommandLine(socket).execute("--content", "heap", "--codecs", "off,words,lz4,lzo", "--batches", Integer.toString(batch),
                "--rounds", Integer.toString(socketRounds), "--pages", Integer.toString(socketPages), "--batched-pages", Integer.toString(socketPages),
                "--max-warmup-passes", Integer.toString(maxWarmupPasses));
        if (rc != 0) return rc;
        out.println("== issue 16: compression >= 2x pages at <= 3x CPU (heap-image corpus; the default codec on this JVM: "
                + org.fallow.hypervisor.tmem.TmemCompression.preferred().label() + ")");
        out.printf(Locale.ROOT, "engine: words %.2fx pages, put CPU %.2fx (paired rounds: %.2fx); lz4 %.2fx pages, put CPU %.2fx (paired rounds: %.2fx) the uncompressed put (this thread's CPU, same engine path)%n",
                engine.words().xPages(), engine.words().putXOff(), engine.words().putXOffPaired(),
                engine.lz4().xPages(), engine.lz4().putXOff(), engine.lz4().putXOffPaired());
        out.printf(Locale.ROOT, "socket: words put %.2fx (paired rounds: %.2fx), lz4 put %.2fx (paired rounds: %.2fx), lzo put %.2fx (paired rounds: %.2fx) the hypervisor CPU of an uncompressed put (batch %d, whole hypercall path)%n",
                socket.putCpuXOff("words", batch), socket.pairedPutCpuXOff("words", batch), socket.putCpuXOff("lz4", batch),
                socket.pairedPutCpuXOff("lz4", batch), socket.putCpuXOff("lzo", batch), socket.pairedPutCpuXOff("lzo", batch), batch);
        out.printf(Locale.ROOT, "load at the end %s%n", PageCopyFloor.load());
        return 0;
    }
}
