package org.fallow.cli.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.hypervisor.net.FrameDecoder;
import org.fallow.hypervisor.net.FrameEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * The wire frame codec on a HYPERCALL frame (24-byte header + 48-byte privcmd_hypercall = 72 bytes):
 * {@code clientEncode} = the client's {@link Frame#encode()} to a byte[]; {@code clientDecodeHeader} = the client
 * reading a header with the {@link FrameHeader} flyweight and validating it; {@code nettyEncode} / {@code nettyDecode}
 * = the hypervisor's {@link FrameEncoder} / {@link FrameDecoder} in a Netty {@link EmbeddedChannel} (one frame per
 * write, the frame's bytes in a heap buffer). {@code memcpyFloor} is their floor in the same run: the frame's 72 bytes
 * copied into a new byte[] (what an encode produces and a decode reads, with no header or payload logic).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FrameCodecBenchmark {
    private Frame frame;
    private byte[] bytes;
    private final FrameHeader header = new FrameHeader();
    private EmbeddedChannel encoder, decoder;
    private long id;

    @Setup(Level.Trial)
    public void setUp() {
        frame = new Frame(FrameType.HYPERCALL, 7, HypercallFrame.encode(Hypercalls.MEMORY_OP, 6, 0x7f0000001000L, 0, 0, 0));
        bytes = frame.encode();
        encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
        decoder = new EmbeddedChannel(new FrameDecoder());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }

    @Benchmark
    public byte[] memcpyFloor() {
        return bytes.clone();
    }

    @Benchmark
    public byte[] clientEncode() {
        return new Frame(FrameType.HYPERCALL, ++id, frame.payload()).encode();
    }

    @Benchmark
    public long clientDecodeHeader() {
        header.wrap(bytes);
        if (header.check(FrameHeader.LENGTH) != null) throw new IllegalStateException("bad header");
        return header.requestId() + header.length() + header.type();
    }

    @Benchmark
    public int nettyEncode() {
        encoder.writeOutbound(frame);
        ByteBuf b = encoder.readOutbound();
        int n = b.readableBytes();
        b.release();
        return n;
    }

    @Benchmark
    public Object nettyDecode() { // a HYPERCALL decodes to the hypervisor's HypercallRequest
        decoder.writeInbound(Unpooled.wrappedBuffer(bytes));
        Object f = decoder.readInbound();
        if (f == null) throw new IllegalStateException("no frame decoded");
        return f;
    }
}
