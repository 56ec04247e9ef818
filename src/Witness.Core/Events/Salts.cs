using System.Security.Cryptography;

namespace Witness.Events;

/// <summary>
/// Fresh random salts for <see cref="PersonalValues"/>, handed out from a per-thread block of random
/// bytes: one call into the system's generator per 4 KiB (about 40 events of six values) instead of
/// one per event. A salt is cleared from the block as it is handed out.
/// </summary>
internal static class Salts
{
    private const int BlockSize = 4096;

    [ThreadStatic]
    private static byte[]? t_block;

    [ThreadStatic]
    private static int t_used;

    /// <summary>Fills <paramref name="salts"/> with random bytes (from the system's cryptographic generator).</summary>
    public static void Fill(Span<byte> salts)
    {
        if (salts.Length > BlockSize)
        {
            RandomNumberGenerator.Fill(salts);
            return;
        }

        var block = t_block;
        if (block is null || BlockSize - t_used < salts.Length)
        {
            block ??= t_block = new byte[BlockSize];
            RandomNumberGenerator.Fill(block);
            t_used = 0;
        }

        var taken = block.AsSpan(t_used, salts.Length);
        taken.CopyTo(salts);
        taken.Clear();
        t_used += salts.Length;
    }
}
