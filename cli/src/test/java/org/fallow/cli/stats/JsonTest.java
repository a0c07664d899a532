package org.fallow.cli.stats;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonTest {
    @Test
    void writesNestedValuesEscapesStringsAndNullsNaN() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1L);
        m.put("s", "q\"\\\n\u0001");
        m.put("nan", Double.NaN);
        m.put("l", List.of(true, 0.5, Map.of()));
        m.put("n", null);
        assertEquals("{\"a\":1,\"s\":\"q\\\"\\\\\\n\\u0001\",\"nan\":null,\"l\":[true,0.5,{}],\"n\":null}", Json.write(m));
    }

    @Test
    void sampleShapeCarriesEveryFigure() {
        DomainSample d = DomainSample.basic(3, "running", 100, 200, 7).withPod(5, 6).withTmem(1, 2, 10, 4, 0, 0, 9, 8);
        String j = Json.write(SampleJson.toMap(new HostSample(42, 1000, 500, 11, 12, List.of(d))));
        assertEquals("{\"time_ms\":42,\"host_total_pages\":1000,\"host_free_pages\":500,\"tmem_ephemeral_pages\":11,"
                + "\"tmem_freeable_pages\":12,\"domains\":[{\"domid\":3,\"state\":\"running\",\"tot_pages\":100,\"max_pages\":200,"
                + "\"pod_entries\":5,\"pod_cache_pages\":6,\"paged_pages\":7,\"tmem_ephemeral_pages\":1,\"tmem_persistent_pages\":2,"
                + "\"tmem_ephemeral_gets\":10,\"tmem_ephemeral_gets_found\":4,\"tmem_persistent_gets\":0,"
                + "\"tmem_persistent_gets_found\":0,\"tmem_ephemeral_puts\":9,\"tmem_persistent_puts\":8,"
                + "\"tmem_ephemeral_hit_rate\":0.4,\"tmem_persistent_hit_rate\":null}]}", j);
    }
}
