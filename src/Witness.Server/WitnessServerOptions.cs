namespace Witness.Server;

/// <summary>How one Witness server runs. Every default is what a small install wants.</summary>
public sealed class WitnessServerOptions
{
    /// <summary>The folder of the SQLite file and the checkpoint signing key. Default <c>./witness-data</c>.</summary>
    public string DataDirectory { get; set; } = "witness-data";

    /// <summary>
    /// An Npgsql connection string: when set, the server runs on PostgreSQL (several instances may
    /// share the database) instead of SQLite in <see cref="DataDirectory"/>.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// A PEM file holding the checkpoint signing key (PKCS#8 or SEC 1, P-256). Instances that share a
    /// PostgreSQL database must share one key. When null, the key is <c>checkpoint-signing-key.pem</c>
    /// in <see cref="DataDirectory"/>, created at first start.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Addresses to listen on. Default <c>http://127.0.0.1:5080</c>: loopback only until the operator says otherwise.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The name in checkpoint origins and signatures (<c>&lt;origin&gt;/&lt;tenant&gt;</c>).</summary>
    public string Origin { get; set; } = "witness";

    /// <summary>A checkpoint is signed at least this often while events arrive.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A checkpoint is signed as soon as this many events arrived since the last one.</summary>
    public long CheckpointEvery { get; set; } = 1000;

    /// <summary>Fill the <c>demo</c> tenant with realistic events at start when it is empty.</summary>
    public bool Demo { get; set; }

    /// <summary>The clock; tests replace it.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
}
