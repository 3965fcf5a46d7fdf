/* A stand-in for Windows' bcryptprimitives.dll, for Wine only.
 *
 * Rust's std (since Rust 1.78) gets its random numbers (HashMap seeds) from
 * ProcessPrng in bcryptprimitives.dll, which every Windows since 10 has and
 * Wine 8 lacks: without this file each program stops before main under Wine.
 * .ci/cross builds it with mingw-w64 and puts it in the Wine prefix's
 * system32; the programs themselves are unchanged and never ship it.
 *
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), which Wine has.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: fill large buffers in pieces. */
    while (len > 0) {
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
