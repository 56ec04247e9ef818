using Witness.Events;
using Witness.Streams;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    private static LogStream NewStream(string tenant, string name = "siem") => new()
    {
        Id = "st_" + Guid.NewGuid().ToString("N"),
        Tenant = tenant,
        Name = name,
        Kind = StreamKinds.Syslog,
        Url = "tcp://siem.example.com:6514",
        Format = StreamFormats.Ocsf,
        Secret = "enc1:sealed",
        Types = [LogTypes.Access],
        Categories = ["Inboxes", "Team \"A\""],
        Query = "outcome:failure",
        CreatedAt = Submit.Now,
        UpdatedAt = Submit.Now,
        Progress = new StreamProgress { DeliveredSeq = 41 },
    };

    [Fact]
    public async Task A_stream_is_kept_per_tenant_with_its_definition_and_starting_cursor()
    {
        await using var store = await OpenStoreAsync();
        var streams = (IStreamStore)store;
        var tenant = Submit.Tenant();
        var other = Submit.Tenant();
        var stream = NewStream(tenant);
        await streams.CreateStreamAsync(stream, CancellationToken.None);
        await streams.CreateStreamAsync(NewStream(other, "theirs"), CancellationToken.None);

        var found = await streams.FindStreamAsync(tenant, stream.Id, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal(stream.Name, found.Name);
        Assert.Equal(stream.Url, found.Url);
        Assert.Equal(stream.Secret, found.Secret);
        Assert.Equal(stream.Types, found.Types);
        Assert.Equal(stream.Categories, found.Categories);
        Assert.Equal(stream.Query, found.Query);
        Assert.Equal(41, found.Progress.DeliveredSeq);
        Assert.Null(found.LeaseOwner);
        Assert.Equal([stream.Id], (await streams.ListStreamsAsync(tenant, CancellationToken.None)).Select(s => s.Id));
        // Another tenant neither sees nor changes it.
        Assert.Null(await streams.FindStreamAsync(other, stream.Id, CancellationToken.None));
        Assert.False(await streams.UpdateStreamAsync(stream with { Tenant = other, Name = "stolen" }, CancellationToken.None));
        Assert.False(await streams.DeleteStreamAsync(other, stream.Id, CancellationToken.None));

        Assert.True(await streams.UpdateStreamAsync(stream with { Name = "renamed", Paused = true, Types = [], UpdatedAt = Submit.Now.AddMinutes(1) }, CancellationToken.None));
        var updated = await streams.FindStreamAsync(tenant, stream.Id, CancellationToken.None);
        Assert.Equal("renamed", updated!.Name);
        Assert.True(updated.Paused);
        Assert.Empty(updated.Types);
        Assert.Equal(41, updated.Progress.DeliveredSeq);
        Assert.DoesNotContain(stream.Id, (await streams.ListActiveStreamsAsync(CancellationToken.None)).Select(s => s.Id));

        Assert.True(await streams.DeleteStreamAsync(tenant, stream.Id, CancellationToken.None));
        Assert.Null(await streams.FindStreamAsync(tenant, stream.Id, CancellationToken.None));
        Assert.False(await streams.DeleteStreamAsync(tenant, stream.Id, CancellationToken.None));
    }

    [Fact]
    public async Task One_holder_at_a_time_leases_a_stream_and_only_the_holder_moves_its_cursor()
    {
        await using var store = await OpenStoreAsync();
        var streams = (IStreamStore)store;
        var stream = NewStream(Submit.Tenant());
        await streams.CreateStreamAsync(stream, CancellationToken.None);
        var now = Submit.Now;

        Assert.True(await streams.TryLeaseStreamAsync(stream.Id, "a", now, now.AddSeconds(20), CancellationToken.None));
        Assert.False(await streams.TryLeaseStreamAsync(stream.Id, "b", now.AddSeconds(5), now.AddSeconds(25), CancellationToken.None));
        Assert.True(await streams.TryLeaseStreamAsync(stream.Id, "a", now.AddSeconds(5), now.AddSeconds(25), CancellationToken.None));

        var progress = new StreamProgress { DeliveredSeq = 99, DeliveredAt = now, LastError = "connection refused", LastErrorAt = now, FailingSince = now, FailureRecorded = true };
        Assert.True(await streams.SaveStreamProgressAsync(stream.Id, "a", progress, CancellationToken.None));
        Assert.False(await streams.SaveStreamProgressAsync(stream.Id, "b", progress with { DeliveredSeq = 5 }, CancellationToken.None));
        var saved = await streams.FindStreamAsync(stream.Tenant, stream.Id, CancellationToken.None);
        Assert.Equal(progress, saved!.Progress);
        Assert.Equal("a", saved.LeaseOwner);

        // A lease that ended is taken over; the old holder can no longer save.
        Assert.True(await streams.TryLeaseStreamAsync(stream.Id, "b", now.AddSeconds(26), now.AddSeconds(46), CancellationToken.None));
        Assert.False(await streams.SaveStreamProgressAsync(stream.Id, "a", progress with { DeliveredSeq = 100 }, CancellationToken.None));
        await streams.ReleaseStreamLeaseAsync(stream.Id, "a", CancellationToken.None);
        Assert.Equal("b", (await streams.FindStreamAsync(stream.Tenant, stream.Id, CancellationToken.None))!.LeaseOwner);
        await streams.ReleaseStreamLeaseAsync(stream.Id, "b", CancellationToken.None);
        Assert.True(await streams.TryLeaseStreamAsync(stream.Id, "c", now.AddSeconds(27), now.AddSeconds(47), CancellationToken.None));
    }

    [Fact]
    public async Task Events_after_a_cursor_are_read_in_seq_order_a_batch_at_a_time_and_only_the_tenants_own()
    {
        await using var store = await OpenStoreAsync();
        var streams = (IStreamStore)store;
        var tenant = Submit.Tenant();
        var other = Submit.Tenant();
        await store.AppendManyAsync(tenant, 25);
        await store.AppendManyAsync(other, 5);

        var first = await streams.ReadEventsAfterAsync(tenant, 0, 10, CancellationToken.None);
        var next = await streams.ReadEventsAfterAsync(tenant, 10, 100, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), first.Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(11, 15).Select(i => (long)i), next.Select(e => e.Seq));
        Assert.All(first.Concat(next), e => Assert.Equal(tenant, e.Event.Tenant));
        var stored = await store.FindBySeqAsync(tenant, 11, CancellationToken.None);
        Assert.Equal(stored!.Body, next[0].Body);
        Assert.Equal(stored.Hash, next[0].Hash);
        Assert.Empty(await streams.ReadEventsAfterAsync(tenant, 25, 10, CancellationToken.None));
        Assert.Empty(await streams.ReadEventsAfterAsync(Submit.Tenant(), 0, 10, CancellationToken.None));
    }

    // Both stores read a stream through the shared StoreRows reader: every field, null and set, comes back as saved.
    [Fact]
    public async Task A_stream_comes_back_field_for_field_with_its_cursor_and_lease()
    {
        await using var store = await OpenStoreAsync();
        var streams = (IStreamStore)store;
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 891, TimeSpan.Zero);
        var stream = NewStream(Submit.Tenant()) with
        {
            Kind = StreamKinds.Syslog, Url = "tls://siem.example.com:6514", CaPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            PinnedSha256 = new string('a', 64), CreatedAt = at, UpdatedAt = at.AddSeconds(1),
        };
        await streams.CreateStreamAsync(stream, CancellationToken.None);
        var bare = await streams.FindStreamAsync(stream.Tenant, stream.Id, CancellationToken.None);
        Assert.NotNull(bare);
        Assert.Equal(stream.Types, bare.Types);
        Assert.Equal(stream.Categories, bare.Categories);
        Assert.Equal(stream with { Types = bare.Types, Categories = bare.Categories }, bare);

        var progress = new StreamProgress
        {
            DeliveredSeq = 77, DeliveredAt = at.AddMinutes(1), LastError = "connection reset", LastErrorAt = at.AddMinutes(2), FailingSince = at.AddMinutes(3), FailureRecorded = true,
        };
        Assert.True(await streams.TryLeaseStreamAsync(stream.Id, "instance-a", at, at.AddSeconds(20), CancellationToken.None));
        Assert.True(await streams.SaveStreamProgressAsync(stream.Id, "instance-a", progress, CancellationToken.None));
        var found = await streams.FindStreamAsync(stream.Tenant, stream.Id, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal(stream with { Types = found.Types, Categories = found.Categories, Progress = progress, LeaseOwner = "instance-a", LeaseUntil = at.AddSeconds(20) }, found);
    }
}
