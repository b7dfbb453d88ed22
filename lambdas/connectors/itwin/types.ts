/** iTwin Access Control v2 response shapes the connector reads (docs/vendors.md#itwin-schemas). */

export interface Member {
  id: string;
  email?: string | null;
}
export interface Invitation {
  id: string;
  email?: string | null;
  status?: string;
}
export interface GroupUser {
  userId?: string;
  id?: string;
  email?: string | null;
}
export interface Group {
  id: string;
  name?: string;
  members?: GroupUser[];
}
