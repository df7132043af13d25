import "server-only";

import type { Windows, WorkspaceRole } from "@/lib/shared/credentials";
import { type Database, nextEventLoopTurn } from "@/lib/db";
import { ApplicationPairing, type BuiltSnapshot, SnapshotBuilder, type SnapshotPart } from "./build-rows";
import type { InventoryApplication, InventoryServicePrincipal } from "./inventory";
import { storeSnapshotPart } from "./store";

/**
 * Rows stored per part. PGlite runs on the console's thread, so a Graph answer that arrives while a part is stored
 * waits for it before its worker sends the next call: the longer the part, the more answers wait and the longer each
 * waits. A part of 100 rows takes about 10 ms. A refresh of 5,000 applications at 40 ms, until a status read saw it
 * complete, took 6.45–6.55 s with parts of 250 rows, 6.04–6.38 s with 100 and 6.16–6.44 s with 50.
 */
const PART_ROWS = 100;

/**
 * Builds a refresh's snapshot and stores it in parts while Graph is still answering, so that when the last answer
 * arrives only the last few identities are left to store. Storing everything at the end took 0.5–0.75 s of a
 * 5,000-application refresh, after the last call.
 *
 * An identity is built once nothing it shows can change: both lists are read (so its application and service
 * principal are paired), the workspace roles are read (ARM's assignments and the groups' members), the managed
 * identities' federated credentials are read (ARM), and every navigation of its application and service principal
 * (federated credentials, owners) has answered. Until then it waits. `finish` builds whatever is left, whether or
 * not its answers were reported, so a missed report costs time, never a row.
 */
export class SnapshotWriter {
  /** The directory's two lists, once both are read, with which service principal is whose. */
  private pairing: ApplicationPairing | undefined;
  private roles: ReadonlyMap<string, readonly WorkspaceRole[]> | undefined;
  private managedIdentitiesDone = false;
  private builder: SnapshotBuilder | undefined;
  private asOf: Date | undefined;
  private readonly read = { application: new Set<number>(), servicePrincipal: new Set<number>() };
  private readonly built = { application: new Set<number>(), servicePrincipal: new Set<number>() };
  private writing: Promise<void> = Promise.resolve();
  private writeScheduled = false;
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly snapshotId: number,
    private readonly windows: Windows,
    private readonly now: () => Date,
    private readonly partRows = PART_ROWS,
  ) {}

  /** Both directory lists are read. */
  listed(applications: readonly InventoryApplication[], servicePrincipals: readonly InventoryServicePrincipal[]): void {
    this.pairing = new ApplicationPairing(applications, servicePrincipals);
    this.open();
  }

  /** Every service principal's workspace roles, its groups' included. */
  rolesRead(roles: ReadonlyMap<string, readonly WorkspaceRole[]>): void {
    this.roles = roles;
    this.open();
  }

  /** The user-assigned managed identities' federated credentials are filled in. */
  managedIdentitiesRead(): void {
    this.managedIdentitiesDone = true;
    this.open();
  }

  /** One object's navigations have all answered (`readDirectoryInventory`'s `onObjectRead`). */
  objectRead(kind: "application" | "servicePrincipal", index: number): void {
    this.read[kind].add(index);
    if (this.builder) this.buildWhenReady(kind, index);
  }

  /**
   * Builds every identity not yet built and waits for the parts being stored. Returns the whole snapshot, the rows
   * not yet stored (for `completeSnapshot`) and the time the rows were classified at. Throws a part's store failure.
   */
  async finish(): Promise<{ built: BuiltSnapshot; rest: SnapshotPart; asOf: Date }> {
    const { pairing } = this;
    if (!pairing || !this.roles) throw new Error("the snapshot was finished before the directory and the roles were read");
    this.managedIdentitiesDone = true;
    this.open();
    const builder = this.builder!;
    pairing.applications.forEach((_app, index) => this.build("application", index));
    pairing.servicePrincipals.forEach((_sp, index) => this.build("servicePrincipal", index));
    this.closed = true;
    await this.writing;
    if (this.failure) throw this.failure.error;
    return { built: builder.result(), rest: builder.take(), asOf: this.asOf! };
  }

  /** The run failed: stores nothing more, and resolves once a part being stored is done (so it can be deleted). */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.writing;
  }

  private open(): void {
    if (this.builder || !this.pairing || !this.roles || !this.managedIdentitiesDone) return;
    this.asOf = this.now();
    this.builder = new SnapshotBuilder(this.roles, this.asOf, this.windows);
    for (const index of this.read.application) this.buildWhenReady("application", index);
    for (const index of this.read.servicePrincipal) this.buildWhenReady("servicePrincipal", index);
  }

  private buildWhenReady(kind: "application" | "servicePrincipal", index: number): void {
    const pairing = this.pairing!;
    if (kind === "application") {
      const spIndex = pairing.servicePrincipalIndexOf(pairing.applications[index]!);
      if (spIndex !== undefined && !this.read.servicePrincipal.has(spIndex)) return;
      this.build("application", index);
    } else {
      // A service principal of one of this tenant's applications is part of that application's identity.
      const appIndex = pairing.applicationIndexOf(pairing.servicePrincipals[index]!);
      if (appIndex === undefined) this.build("servicePrincipal", index);
      else if (this.read.application.has(appIndex)) this.build("application", appIndex);
    }
    this.scheduleWrite();
  }

  private build(kind: "application" | "servicePrincipal", index: number): void {
    if (this.closed || this.built[kind].has(index)) return;
    this.built[kind].add(index);
    const pairing = this.pairing!;
    if (kind === "application") {
      const app = pairing.applications[index]!;
      this.builder!.addApplication(app, pairing.servicePrincipalOf(app));
    } else {
      const sp = pairing.servicePrincipals[index]!;
      if (!pairing.hasApplication(sp)) this.builder!.addServicePrincipal(sp);
    }
  }

  /**
   * Stores a part once enough rows wait. After the current turn of the event loop: the answer that completed them
   * has been handed over and the next Graph call is on its way before the database takes the thread.
   */
  private scheduleWrite(): void {
    if (this.writeScheduled || this.closed || this.failure || this.builder!.pendingRows < this.partRows) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.writeScheduled = false;
      if (this.closed || this.failure) return;
      const part = this.builder!.take();
      this.writing = this.writing
        // Parts due one after another still let the answers that came meanwhile in between them.
        .then(nextEventLoopTurn)
        .then(() => storeSnapshotPart(this.db, this.snapshotId, part))
        .catch((error: unknown) => {
          this.failure ??= { error };
        });
    });
  }
}
