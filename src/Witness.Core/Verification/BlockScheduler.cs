using System.Threading.Channels;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// Schedules verification's pass over a log's rows on every core, apart from what is checked: one worker
/// per core and nothing else, so that no stage waits for the thread pool to grow. Each worker takes a free
/// block, fills it with the next rows from the store (one worker at a time, which also numbers the block),
/// checks it (<c>check</c>: hashing, index columns, subtrees) while the others read or check theirs, then
/// hands every checked block that is next, in log order, to <c>append</c> (short beside the check). The
/// first problem <c>append</c> returns stops every worker. The first worker runs <c>before</c> first.
/// </summary>
internal static class BlockScheduler
{
    private const int Chunk = 4096;
    private const int BlocksInFlight = 6;

    public static async Task<ChainVerification?> RunAsync(
        Func<CancellationToken, ILogRowReader> open, Func<CancellationToken, Task> before, Action<CheckedBlock> check, Func<CheckedBlock, ChainVerification?> append, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var free = Channel.CreateUnbounded<CheckedBlock>();
        for (var i = 0; i < BlocksInFlight; i++)
        {
            free.Writer.TryWrite(new CheckedBlock(Chunk));
        }

        var rows = open(stop.Token);
        using var reading = new SemaphoreSlim(1, 1);
        var done = false;
        long filled = 0;
        var appending = new object();
        var ready = new CheckedBlock?[BlocksInFlight];
        long appended = 0;
        ChainVerification? problem = null;
        async Task WorkAsync(int worker)
        {
            try
            {
                if (worker == 0)
                {
                    await before(stop.Token);
                }

                while (true)
                {
                    var block = await free.Reader.ReadAsync(stop.Token);
                    await reading.WaitAsync(stop.Token);
                    try
                    {
                        if (done || !await rows.FillAsync(block.Rows, stop.Token))
                        {
                            done = true;
                            free.Writer.TryWrite(block);
                            return;
                        }

                        block.Number = filled++;
                    }
                    catch
                    {
                        done = true;
                        throw;
                    }
                    finally
                    {
                        reading.Release();
                    }

                    check(block);
                    bool stopped;
                    lock (appending)
                    {
                        // Blocks in flight have consecutive numbers, so each has a slot of its own.
                        ready[block.Number % BlocksInFlight] = block;
                        while (problem is null && ready[appended % BlocksInFlight] is { } next && next.Number == appended)
                        {
                            ready[appended % BlocksInFlight] = null;
                            problem = append(next);
                            appended++;
                            free.Writer.TryWrite(next);
                        }

                        stopped = problem is not null;
                    }

                    if (stopped)
                    {
                        // Stops the other workers: nothing after the first problem is needed.
                        await stop.CancelAsync();
                        return;
                    }
                }
            }
            catch
            {
                // A failed worker stops the others, which would otherwise wait for its block.
                await stop.CancelAsync();
                throw;
            }
        }

        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(worker => Task.Run(() => WorkAsync(worker), stop.Token)).ToArray();
        var all = Task.WhenAll(workers);
        try
        {
            await all;
        }
        catch (OperationCanceledException) when (problem is not null)
        {
        }
        catch (Exception) when (all.Exception?.InnerExceptions.Any(e => e is LogSnapshotMovedException) == true)
        {
            // The worker that found it stopped the others, which then report their cancellation.
            throw new LogSnapshotMovedException();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => Task.WhenAny(w)));
            await rows.DisposeAsync();
        }

        return problem;
    }
}

/// <summary>
/// A block of rows on its way through the stages, with what a worker made of them: each row's leaf
/// hash and check, and the perfect subtrees of the leaves. Reused from start to end.
/// </summary>
internal sealed class CheckedBlock(int capacity)
{
    public LogRowBlock Rows { get; } = new(capacity);

    /// <summary>Row i's leaf hash at [32·i, 32·i + 32).</summary>
    public byte[] Leaves { get; } = new byte[capacity * MerkleHash.Size];

    public RowCheck[] Checks { get; } = new RowCheck[capacity];

    /// <summary>
    /// The (level, root) of the perfect subtrees the leaves make, in log order; empty when the block is
    /// to be appended leaf by leaf (a row failed, rows do not follow each other, or a stored node differs).
    /// </summary>
    public List<(int Level, byte[] Root)> Subtrees { get; } = [];

    /// <summary>Room for hashing a subtree's levels in place.</summary>
    public byte[] Scratch { get; } = new byte[capacity * MerkleHash.Size];

    /// <summary>The block's place among the blocks filled, from 0.</summary>
    public long Number { get; set; }

    public Span<byte> Leaf(int row) => Leaves.AsSpan(row * MerkleHash.Size, MerkleHash.Size);
}
