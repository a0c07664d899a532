package org.fallow.guest.tmem;

/** struct frontswap_ops: what a frontswap backend provides (pages named by gfn). */
public interface FrontswapOps {
    void init(int type);

    /** 0 on success, -1 if the backend refused the page. */
    int store(int type, long offset, int gfn);

    /** 0 if the page was found and copied into {@code gfn}, -1 otherwise. */
    int load(int type, long offset, int gfn);

    void invalidatePage(int type, long offset);

    void invalidateArea(int type);
}
