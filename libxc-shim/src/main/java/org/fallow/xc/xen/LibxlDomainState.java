package org.fallow.xc.xen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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

    /** Writes the configuration file (SafeFiles: directories 0700, file 0600, replaced atomically, no link followed). */
    public static Path write(Path runDir, int domid, byte[] handle, String name, int vcpus, long maxMemKb, long targetKb)
            throws IOException {
        org.fallow.abi.fs.SafeFiles.ensurePrivateDir(runDir.resolve(LIB_DIR));
        Path file = configFile(runDir, domid, handle);
        org.fallow.abi.fs.SafeFiles.writeAtomically(file, json(name, handle, vcpus, maxMemKb, targetKb).getBytes(StandardCharsets.UTF_8));
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
