package org.fallow.xc.xen;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What libxl keeps about a domain that {@code xl create} would have made, for domains made by {@code fallow create}:
 * the domain configuration {@code /var/lib/xen/userdata-d.<domid>.<uuid>.libxl-json} (which {@code xl mem-set} and
 * {@code xl mem-max} read and rewrite; the privcmd bridge maps {@code /var/lib/xen} to
 * {@code <run dir>/xen-state/lib}) and the xenstore keys libxl reads ({@link #xenstoreKeys}). The JSON holds only the
 * members these tools use: {@code c_info.type/name/uuid}, {@code b_info.max_vcpus/max_memkb/target_memkb} and the
 * HVM build-info union.
 */
public final class LibxlDomainState {
    /** Where the bridge puts libxl's {@code /var/lib/xen}, relative to the run directory. */
    public static final String LIB_DIR = "xen-state/lib";

    private LibxlDomainState() {}

    /** libxl's uuid string of a domain handle: 8-4-4-4-12 lower-case hex. */
    public static String uuid(byte[] handle) {
        String h = HexFormat.of().formatHex(handle);
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                + "-" + h.substring(20, 32);
    }

    /** The userdata file libxl reads for {@code domid} (key {@code libxl-json}). */
    public static Path configFile(Path runDir, int domid, byte[] handle) {
        return runDir.resolve(LIB_DIR).resolve("userdata-d." + domid + "." + uuid(handle) + ".libxl-json");
    }

    /** The domain configuration as libxl's JSON. */
    public static String json(String name, byte[] handle, int vcpus, long maxMemKb, long targetKb) {
        return "{\n    \"c_info\": {\n        \"type\": \"hvm\",\n        \"name\": " + quote(name) + ",\n"
                + "        \"uuid\": \"" + uuid(handle) + "\"\n    },\n"
                + "    \"b_info\": {\n        \"max_vcpus\": " + vcpus + ",\n        \"max_memkb\": " + maxMemKb + ",\n"
                + "        \"target_memkb\": " + targetKb + ",\n        \"type.hvm\": {\n        }\n    }\n}\n";
    }

    /** Writes the configuration file (directories 0700, file 0600, replaced atomically, no symlink followed). */
    public static Path write(Path runDir, int domid, byte[] handle, String name, int vcpus, long maxMemKb, long targetKb)
            throws IOException {
        Path dir = runDir;
        for (String part : LIB_DIR.split("/")) {
            dir = dir.resolve(part);
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS))
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw new IOException(dir + " is not a directory");
        }
        Path file = configFile(runDir, domid, handle);
        Path tmp = dir.resolve(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ch.write(java.nio.ByteBuffer.wrap(json(name, handle, vcpus, maxMemKb, targetKb).getBytes(StandardCharsets.UTF_8)));
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** The xenstore keys libxl reads for a domain besides memory/name: its type and its /vm path. */
    public static Map<String, String> xenstoreKeys(int domid, byte[] handle, String name) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("/libxl/" + domid + "/type", "hvm");
        m.put("/local/domain/" + domid + "/vm", "/vm/" + uuid(handle));
        m.put("/local/domain/" + domid + "/domid", Integer.toString(domid));
        m.put("/vm/" + uuid(handle) + "/name", name);
        m.put("/vm/" + uuid(handle) + "/uuid", uuid(handle));
        return m;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
