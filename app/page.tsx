// The studio's only page: the canvas editor (rendered on the client, see StudioLoader).
import { StudioLoader } from '../components/StudioLoader';

export default function Page() {
  return <StudioLoader />;
}
