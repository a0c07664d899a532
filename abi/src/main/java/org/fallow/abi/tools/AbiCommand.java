package org.fallow.abi.tools;

import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.List;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.xen.AbiRegistry;
import org.fallow.abi.xen.AbiStruct;
import org.fallow.abi.xen.LayoutDiagram;
import org.fallow.abi.xen.LayoutTable;
import org.fallow.abi.xen.StructCodec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fallow abi}: the byte-exact Xen struct layouts, and a decoder/encoder for people debugging frames. */
@Command(name = "abi", mixinStandardHelpOptions = true,
        description = "Xen struct layouts (4.12 and 2009 profiles): print them, decode and encode struct bytes.",
        subcommands = {AbiCommand.Layouts.class, AbiCommand.Diagram.class, AbiCommand.Decode.class, AbiCommand.Encode.class})
public final class AbiCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static AbiStruct lookup(CommandSpec spec, String profile, String name) {
        return AbiRegistry.find(profileOf(spec, profile), name).orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(),
                "unknown struct '" + name + "'; known: " + String.join(", ", AbiRegistry.names())));
    }

    @Command(name = "layouts", mixinStandardHelpOptions = true,
            description = "Print every struct's layout as TSV: profile, struct, field (dotted), offset, size; "
                    + "a <sizeof> row per struct.")
    static final class Layouts implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--profile", paramLabel = "4.12|2009", description = "Only this profile (default: all).")
        String profile;
        @Option(names = "--struct", paramLabel = "NAME", description = "Only this struct (C name, e.g. tmem_op).")
        String struct;

        @Override public void run() {
            List<AbiStruct> structs = profile == null ? AbiRegistry.all() : AbiRegistry.of(profileOf(spec, profile));
            if (struct != null) structs = structs.stream().filter(s -> s.name().equals(struct)).toList();
            if (structs.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "no such struct/profile");
            PrintWriter out = spec.commandLine().getOut();
            for (LayoutTable.Row row : LayoutTable.rows(structs)) out.println(row.tsv());
            out.flush();
        }
    }

    @Command(name = "diagram", mixinStandardHelpOptions = true,
            description = "Draw a struct from its layout: offset, size, member (nested members indented), type.")
    static final class Diagram implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--profile", defaultValue = "4.12", paramLabel = "4.12|2009") String profile;
        @Parameters(index = "0", paramLabel = "STRUCT", description = "C name, e.g. tmem_op.") String struct;

        @Override public void run() {
            AbiStruct s = lookup(spec, profile, struct);
            PrintWriter out = spec.commandLine().getOut();
            out.print(LayoutDiagram.of(s.layout()));
            out.flush();
        }
    }

    static AbiProfile profileOf(CommandSpec spec, String label) {
        try {
            return AbiProfile.fromLabel(label);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "Decode struct bytes (hex; spaces and | allowed; a shorter input is zero-filled) "
                    + "into field=value lines.")
    static final class Decode implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--profile", defaultValue = "4.12", paramLabel = "4.12|2009") String profile;
        @Parameters(index = "0", paramLabel = "STRUCT") String struct;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "HEX") List<String> hex;

        @Override public void run() {
            AbiStruct s = lookup(spec, profile, struct);
            byte[] bytes;
            try {
                bytes = HexFormat.of().parseHex(String.join("", hex).replaceAll("[\\s|:]", "").replaceFirst("^0x", ""));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "bad hex: " + e.getMessage());
            }
            if (bytes.length > s.size()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        s.name() + " (" + s.profile().label() + ") is " + s.size() + " bytes, got " + bytes.length);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (bytes.length < s.size()) {
                spec.commandLine().getErr().println("note: " + bytes.length + " of " + s.size() + " bytes given; the rest read as zero");
                spec.commandLine().getErr().flush();
            }
            for (String line : StructCodec.decode(s, bytes)) out.println(line);
            out.flush();
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true,
            description = "Encode a zeroed struct with field=value assignments (decimal, -N, 0xHEX, a,b,c for arrays, "
                    + "hex:BYTES for byte arrays; path[i]=v for one element) and print its hex.")
    static final class Encode implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--profile", defaultValue = "4.12", paramLabel = "4.12|2009") String profile;
        @Parameters(index = "0", paramLabel = "STRUCT") String struct;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "FIELD=VALUE") List<String> assignments = List.of();

        @Override public void run() {
            AbiStruct s = lookup(spec, profile, struct);
            byte[] bytes;
            try {
                bytes = StructCodec.encode(s, assignments);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(HexFormat.of().formatHex(bytes));
            out.flush();
        }
    }
}
