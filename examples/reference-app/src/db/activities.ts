import type { Db } from './schema.js';

export interface Activity {
  id: string;
  title: string;
  /** 30-day volume needed to join, in the smallest currency unit. */
  threshold: number;
}

export interface Activities {
  list(): Promise<Activity[]>;
  find(id: string): Promise<Activity | undefined>;
  /** Records that the user joined; false when they had already. */
  join(activityId: string, userId: string, at: number): Promise<boolean>;
  joinedAt(activityId: string, userId: string): Promise<number | undefined>;
}

const plausibleId = /^[A-Za-z0-9_-]{1,64}$/;

/** The activities catalogue (seeded by a migration) and who joined what. */
export function sqlActivities(db: Db): Activities {
  const toActivity = (row: { id: string; title: string; min_volume_30d: unknown }): Activity => ({
    id: row.id,
    title: row.title,
    threshold: Number(row.min_volume_30d),
  });
  return {
    async list() {
      const rows = await db.selectFrom('activities').selectAll().orderBy('id').execute();
      return rows.map(toActivity);
    },
    async find(id) {
      if (!plausibleId.test(id)) return undefined;
      const row = await db.selectFrom('activities').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toActivity(row) : undefined;
    },
    async join(activityId, userId, at) {
      const inserted = await db
        .insertInto('activity_participants')
        .values({ activity_id: activityId, user_id: userId, joined_at: new Date(at) })
        .onConflict((conflict) => conflict.columns(['activity_id', 'user_id']).doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async joinedAt(activityId, userId) {
      const row = await db
        .selectFrom('activity_participants')
        .select('joined_at')
        .where('activity_id', '=', activityId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row ? new Date(row.joined_at).getTime() : undefined;
    },
  };
}
